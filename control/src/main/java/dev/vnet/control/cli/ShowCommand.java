package dev.vnet.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vnet.control.api.ControlClient;
import dev.vnet.control.lab.StateFile;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * A command that asks the running vnet for one table through its API and prints it the way iproute2 prints the
 * kernel's, or as JSON with {@code -j}. Exit 0 when printed, 1 when no vnet answers.
 */
abstract class ShowCommand implements Callable<Integer> {
    @Option(names = {"-j", "--json"}, description = "Print JSON, as the API returns it.")
    boolean json;

    @picocli.CommandLine.Mixin
    LabSelection lab = new LabSelection();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** The API resource to read. */
    abstract String resource();

    /** The table as text. */
    abstract String render(JsonNode body);

    @Override
    public Integer call() {
        JsonNode body;
        try {
            body = new ControlClient(lab.stateDir()).get(resource());
        } catch (IOException e) {
            System.err.println("vnet " + spec.name() + ": " + e.getMessage());
            return 1;
        }
        if (json) {
            try {
                System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(body));
            } catch (IOException e) {
                System.err.println("vnet " + spec.name() + ": " + e.getMessage());
                return 1;
            }
        } else {
            System.out.print(render(body));
        }
        return 0;
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
