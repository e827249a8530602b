package dev.ferry.replication.staging;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import dev.ferry.replication.ReplicationException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

import static dev.ferry.replication.ReplicationException.Reason.STAGING_UNAVAILABLE;
import static java.util.Objects.requireNonNull;

/**
 * Buckets of an S3-compatible object store (Amazon S3, or any server that speaks its API), reached with the AWS SDK
 * over the JDK's HTTP client. Requests send a checksum only where the API requires one, which S3-compatible
 * servers other than Amazon's accept.
 */
public final class S3ObjectStores
        implements AutoCloseable
{
    /**
     * @param endpoint the store's URL; empty for Amazon S3 in {@code region}
     * @param region the signing region ({@code us-east-1} for most S3-compatible servers)
     * @param pathStyle bucket names in the path ({@code http://host/bucket/key}) rather than in the host name
     * @param accessKeyId with {@code secretAccessKey}, a static key; empty for the AWS SDK's default credentials
     *     (environment, system properties, profile, instance or container role)
     */
    public record Settings(Optional<URI> endpoint, String region, boolean pathStyle, Optional<String> accessKeyId, Optional<String> secretAccessKey)
    {
        public Settings
        {
            requireNonNull(endpoint, "endpoint is null");
            requireNonNull(region, "region is null");
            requireNonNull(accessKeyId, "accessKeyId is null");
            requireNonNull(secretAccessKey, "secretAccessKey is null");
            if (accessKeyId.isPresent() != secretAccessKey.isPresent()) {
                throw new IllegalArgumentException("an access key id needs its secret access key, and the other way round");
            }
        }

        @Override
        public String toString()
        {
            return "S3[endpoint=%s, region=%s, pathStyle=%s, accessKeyId=%s]".formatted(endpoint.map(URI::toString).orElse("Amazon S3"), region, pathStyle,
                    accessKeyId.orElse("(default credentials)"));
        }
    }

    private final S3Client client;
    private final Settings settings;

    public S3ObjectStores(Settings settings)
    {
        this.settings = requireNonNull(settings, "settings is null");
        AwsCredentialsProvider credentials = settings.accessKeyId().isPresent()
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKeyId().get(), settings.secretAccessKey().orElseThrow()))
                : DefaultCredentialsProvider.builder().build();
        var builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10)).socketTimeout(Duration.ofSeconds(30)))
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .forcePathStyle(settings.pathStyle())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        settings.endpoint().ifPresent(builder::endpointOverride);
        this.client = builder.build();
    }

    /** One bucket of the store. */
    public ObjectStore bucket(String name)
    {
        requireNonNull(name, "name is null");
        return new Bucket(name);
    }

    @Override
    public void close()
    {
        client.close();
    }

    private final class Bucket
            implements ObjectStore
    {
        private final String name;

        Bucket(String name)
        {
            this.name = name;
        }

        @Override
        public String uri()
        {
            return "s3://" + name;
        }

        @Override
        public void put(String key, byte[] bytes)
        {
            try {
                client.putObject(request -> request.bucket(name).key(key).contentLength((long) bytes.length), RequestBody.fromBytes(bytes));
            }
            catch (SdkException e) {
                throw unavailable("write", key, e);
            }
        }

        @Override
        public Optional<byte[]> get(String key)
        {
            try {
                return Optional.of(client.getObjectAsBytes(request -> request.bucket(name).key(key)).asByteArray());
            }
            catch (NoSuchKeyException e) {
                return Optional.empty();
            }
            catch (SdkException e) {
                throw unavailable("read", key, e);
            }
        }

        @Override
        public List<StoredObject> list(String prefix)
        {
            List<StoredObject> objects = new ArrayList<>();
            try {
                String continuation = null;
                do {
                    ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(name).prefix(prefix);
                    if (continuation != null) {
                        request.continuationToken(continuation);
                    }
                    ListObjectsV2Response response = client.listObjectsV2(request.build());
                    for (S3Object object : response.contents()) {
                        objects.add(new StoredObject(object.key(), object.size()));
                    }
                    continuation = Boolean.TRUE.equals(response.isTruncated()) ? response.nextContinuationToken() : null;
                }
                while (continuation != null);
            }
            catch (SdkException e) {
                throw unavailable("list", prefix + "*", e);
            }
            objects.sort(Comparator.comparing(StoredObject::key));
            return objects;
        }

        @Override
        public void delete(String key)
        {
            try {
                client.deleteObject(request -> request.bucket(name).key(key));
            }
            catch (SdkException e) {
                throw unavailable("delete", key, e);
            }
        }

        private ReplicationException unavailable(String action, String key, SdkException e)
        {
            return new ReplicationException(STAGING_UNAVAILABLE, "cannot %s %s/%s in the object store (%s): %s".formatted(action, uri(), key,
                    settings.endpoint().map(URI::toString).orElse("Amazon S3, " + settings.region()), e.getMessage()), e);
        }
    }
}
