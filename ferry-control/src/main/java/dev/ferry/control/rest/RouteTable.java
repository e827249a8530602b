package dev.ferry.control.rest;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The routes of Ferry's HTTP port, each declared once. Building the table fails on a route declared twice (the same
 * method and path template) or on an audit name used twice, so a mistake shows at start-up, not on a request.
 */
public final class RouteTable
{
    /** The routes of the first template that matches a path, with the path's variables. */
    public record Match(PathTemplate template, List<Route> routes, Map<String, String> variables)
    {
        public Match
        {
            requireNonNull(template, "template is null");
            routes = List.copyOf(routes);
            variables = Map.copyOf(variables);
        }

        public Optional<Route> route(String method)
        {
            return routes.stream().filter(route -> route.method().equals(method)).findFirst();
        }

        /** The methods the path takes, in declaration order. */
        public List<String> methods()
        {
            return routes.stream().map(Route::method).toList();
        }
    }

    private final List<Route> routes;
    private final Map<PathTemplate, List<Route>> byTemplate;

    private RouteTable(List<Route> routes)
    {
        this.routes = List.copyOf(routes);
        Map<PathTemplate, List<Route>> grouped = new LinkedHashMap<>();
        Set<String> declared = new HashSet<>();
        Set<String> auditNames = new HashSet<>();
        for (Route route : routes) {
            if (!declared.add(route.method() + " " + route.path())) {
                throw new IllegalArgumentException("route %s is declared twice".formatted(route));
            }
            route.auditName().ifPresent(name -> {
                if (!auditNames.add(name)) {
                    throw new IllegalArgumentException("audit name %s is used by two routes (the second: %s)".formatted(name, route));
                }
            });
            grouped.computeIfAbsent(route.path(), template -> new ArrayList<>()).add(route);
        }
        this.byTemplate = grouped;
    }

    public static RouteTable of(Route... routes)
    {
        return new RouteTable(List.of(routes));
    }

    public List<Route> routes()
    {
        return routes;
    }

    public Optional<Match> match(String path)
    {
        for (Map.Entry<PathTemplate, List<Route>> entry : byTemplate.entrySet()) {
            Optional<Map<String, String>> variables = entry.getKey().match(path);
            if (variables.isPresent()) {
                return Optional.of(new Match(entry.getKey(), entry.getValue(), variables.get()));
            }
        }
        return Optional.empty();
    }

    /**
     * Why nothing is at {@code path}: an unknown custom method on a resource that has some names the ones it has;
     * anything else is "no resource".
     */
    public String explainMissing(String path)
    {
        int colon = path.lastIndexOf(':');
        if (colon > 0) {
            String resource = path.substring(0, colon);
            List<String> methods = routes.stream()
                    .filter(route -> route.path().customMethod().isPresent() && PathTemplate.of(baseOf(route.path())).match(resource).isPresent())
                    .map(route -> route.path().customMethod().orElseThrow())
                    .distinct()
                    .toList();
            if (!methods.isEmpty()) {
                return "no method %s on %s; methods: %s".formatted(Call.abbreviate(path.substring(colon + 1)), Call.abbreviate(resource.substring("/v1/".length())),
                        String.join(", ", methods));
            }
        }
        return "no resource at %s".formatted(Call.abbreviate(path));
    }

    private static String baseOf(PathTemplate template)
    {
        String text = template.toString();
        return text.substring(0, text.lastIndexOf(':'));
    }
}
