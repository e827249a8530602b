package dev.ferry.cli;

import java.io.PrintStream;
import java.io.UncheckedIOException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/** How a command prints what the API answered: a table for people, JSON or YAML (the API's fields) for scripts. */
public enum Format
{
    TABLE,
    JSON,
    YAML;

    private static final YAMLMapper yaml = new YAMLMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build());

    /** Prints {@code node} as JSON or YAML; a table is the command's own, printed by {@code table}. */
    void print(PrintStream out, JsonNode node, Runnable table)
    {
        try {
            switch (this) {
                case TABLE -> table.run();
                case JSON -> out.println(FerryApi.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
                case YAML -> out.print(yaml.writeValueAsString(node));
            }
        }
        catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
