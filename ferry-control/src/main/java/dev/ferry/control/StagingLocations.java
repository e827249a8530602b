package dev.ferry.control;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Where a migration's staging log may go: a {@code cdcConfig.bucket} is a local directory (absolute, or relative to
 * the default root) or a {@code file:///} URI, at most {@value #MAX_LENGTH} characters, without a {@code ..}
 * segment, inside one of the configured roots ({@code migration.staging-roots}); or, when an object store is
 * configured ({@code migration.object-store}), {@code s3://bucket} with an optional path. Any other scheme is refused.
 */
public final class StagingLocations
{
    public static final int MAX_LENGTH = 1024;
    private static final Pattern SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*):.*", Pattern.DOTALL);
    private static final Pattern S3 = Pattern.compile("s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/[A-Za-z0-9._/=-]*)?");

    /** A bucket of the object store and a path in it (without leading or trailing {@code /}, maybe empty). */
    public record ObjectLocation(String bucket, String path) {}

    private final Path defaultRoot;
    private final List<Path> roots;
    private final boolean objectStore;

    /**
     * @param defaultRoot where a staging log goes when a migration names no bucket, and what a relative bucket is
     * resolved against
     * @param roots the directories a bucket must be inside
     */
    public StagingLocations(Path defaultRoot, List<Path> roots)
    {
        this(defaultRoot, roots, false);
    }

    /** @param objectStore whether an object store is configured, for {@code s3://} buckets */
    public StagingLocations(Path defaultRoot, List<Path> roots, boolean objectStore)
    {
        this.objectStore = objectStore;
        this.defaultRoot = requireNonNull(defaultRoot, "defaultRoot is null").toAbsolutePath().normalize();
        this.roots = requireNonNull(roots, "roots is null").stream().map(root -> root.toAbsolutePath().normalize()).toList();
        if (this.roots.isEmpty()) {
            throw new IllegalArgumentException("at least one staging root is needed");
        }
    }

    public Path defaultRoot()
    {
        return defaultRoot;
    }

    public List<Path> roots()
    {
        return roots;
    }

    /** The object-store bucket and path an {@code s3://} bucket names; empty for a local one. */
    public Optional<ObjectLocation> objectLocation(String bucket)
    {
        Matcher matcher = S3.matcher(bucket);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        String path = matcher.group(2) == null ? "" : matcher.group(2).replaceAll("^/+|/+$", "");
        return Optional.of(new ObjectLocation(matcher.group(1), path));
    }

    /** The directory {@code bucket} names, absolute and normalised; {@code bucket} must be a local one {@link #problem} accepts. */
    public Path resolve(String bucket)
    {
        Path path = bucket.startsWith("file:") ? Path.of(URI.create(bucket)) : defaultRoot.resolve(bucket);
        return path.toAbsolutePath().normalize();
    }

    /** Why {@code bucket} cannot be used, in the words of a field violation; empty when it can. */
    public Optional<String> problem(String bucket)
    {
        if (bucket.isBlank()) {
            return Optional.of("must be a local directory or a file:// URI");
        }
        if (bucket.length() > MAX_LENGTH) {
            return Optional.of("must be at most %s characters, got %s".formatted(MAX_LENGTH, bucket.length()));
        }
        Matcher scheme = SCHEME.matcher(bucket);
        Path path;
        if (scheme.matches() && scheme.group(1).length() > 1) {
            if (scheme.group(1).equals("s3")) {
                if (!objectStore) {
                    return Optional.of("an s3:// bucket needs an object store in ferry.yaml (migration.object-store); without one Ferry stages to a local directory or a file:// URI");
                }
                if (!S3.matcher(bucket).matches()) {
                    return Optional.of("must be s3://bucket or s3://bucket/path, the bucket's name 3 to 63 lower-case letters, digits, dots and hyphens, the path letters, digits and ._/=-");
                }
                if (Pattern.compile("(^|/)\\.\\.?(/|$)").matcher(objectLocation(bucket).orElseThrow().path()).find()) {
                    return Optional.of("must not contain a \".\" or \"..\" segment");
                }
                return Optional.empty();
            }
            if (!scheme.group(1).equalsIgnoreCase("file")) {
                String supported = objectStore ? "a local directory, a file:// URI or an s3:// bucket" : "a local directory or a file:// URI";
                return Optional.of("Ferry stages to %s; %s: is not supported".formatted(supported, scheme.group(1).toLowerCase(Locale.ROOT)));
            }
            try {
                URI uri = new URI(bucket);
                if (!scheme.group(1).equals("file") || uri.getAuthority() != null || uri.getQuery() != null || uri.getFragment() != null || uri.getPath() == null) {
                    throw new IllegalArgumentException();
                }
                path = Path.of(uri);
            }
            catch (URISyntaxException | IllegalArgumentException e) {
                return Optional.of("a file URI must be file:///absolute/path, with the scheme in lower case and no host, query or fragment, such as file:///var/lib/ferry/staging");
            }
        }
        else {
            try {
                path = defaultRoot.resolve(bucket);
            }
            catch (InvalidPathException e) {
                return Optional.of("is not a valid path: " + e.getReason());
            }
        }
        for (Path name : path) {
            if (name.toString().equals("..")) {
                return Optional.of("must not contain a \"..\" segment");
            }
        }
        Path resolved = path.toAbsolutePath().normalize();
        if (roots.stream().noneMatch(resolved::startsWith)) {
            return Optional.of("must be inside one of the staging roots (migration.staging-roots): " + String.join(", ", roots.stream().map(Path::toString).toList()));
        }
        return Optional.empty();
    }
}
