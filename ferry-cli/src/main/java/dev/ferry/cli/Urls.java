package dev.ferry.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

final class Urls
{
    private Urls() {}

    static String encode(String text)
    {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
