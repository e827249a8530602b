package dev.ferry.control;

import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/** {@code projects/{project}/locations/{location}/services/{service}}: the one service a Ferry process runs. */
public record ServiceName(String project, String location, String service)
{
    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9-]{0,62}");

    public ServiceName
    {
        requireNonNull(project, "project is null");
        requireNonNull(location, "location is null");
        requireNonNull(service, "service is null");
        for (String part : new String[] {project, location, service}) {
            if (!ID.matcher(part).matches()) {
                throw new IllegalArgumentException("\"%s\" is not a valid resource id: lower-case letters, digits and -, starting with a letter, at most 63".formatted(part));
            }
        }
    }

    /** Parses the whole name; throws IllegalArgumentException naming what is wrong. */
    public static ServiceName parse(String name)
    {
        String[] parts = name.split("/", -1);
        if (parts.length != 6 || !parts[0].equals("projects") || !parts[2].equals("locations") || !parts[4].equals("services")) {
            throw new IllegalArgumentException("must have the form projects/PROJECT/locations/LOCATION/services/SERVICE, got \"%s\"".formatted(name));
        }
        return new ServiceName(parts[1], parts[3], parts[5]);
    }

    public String parent()
    {
        return "projects/%s/locations/%s".formatted(project, location);
    }

    public String name()
    {
        return parent() + "/services/" + service;
    }

    public String executionName(String id)
    {
        return name() + "/migrationExecutions/" + id;
    }

    public String operationName(String id)
    {
        return parent() + "/operations/" + id;
    }

    @Override
    public String toString()
    {
        return name();
    }
}
