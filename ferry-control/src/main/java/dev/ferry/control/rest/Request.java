package dev.ferry.control.rest;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * One HTTP request as the route table sees it. Nothing here belongs to the HTTP server that received it, so that
 * server can be replaced without touching a route or a handler.
 */
public interface Request
{
    /** The HTTP method, as sent ({@code GET}, {@code POST}, ...). */
    String method();

    /** The path, percent-decoded ({@code /v1/projects/ferry/...}). */
    String path();

    /** The path as sent, for the request log. */
    String rawPath();

    /** The query string as sent, without the {@code ?}; empty when there is none. */
    Optional<String> rawQuery();

    /** The first value of a request header; names are case-insensitive. */
    Optional<String> header(String name);

    /** The body; read at most once. */
    InputStream body()
            throws IOException;
}
