package dev.ferry.control.model;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The change-data-capture login and where the staging log goes. {@code password} is input only. The network
 * fields describe cloud networking Ferry does not create: validated, stored and shown back.
 */
public record CdcConfig(
        String username,
        String password,
        Optional<String> vpcNetwork,
        Optional<String> subnetIpRange,
        Optional<String> reverseProxySubnet,
        Optional<String> bucket,
        String rootPath)
{
    public static final String DEFAULT_ROOT_PATH = "/migration";

    public CdcConfig
    {
        requireNonNull(username, "username is null");
        requireNonNull(password, "password is null");
        requireNonNull(vpcNetwork, "vpcNetwork is null");
        requireNonNull(subnetIpRange, "subnetIpRange is null");
        requireNonNull(reverseProxySubnet, "reverseProxySubnet is null");
        requireNonNull(bucket, "bucket is null");
        requireNonNull(rootPath, "rootPath is null");
    }

    public CdcConfig withPassword(String newPassword)
    {
        return new CdcConfig(username, newPassword, vpcNetwork, subnetIpRange, reverseProxySubnet, bucket, rootPath);
    }

    @Override
    public String toString()
    {
        return "CdcConfig[as %s, bucket %s, rootPath %s]".formatted(username, bucket.orElse("(default)"), rootPath);
    }
}
