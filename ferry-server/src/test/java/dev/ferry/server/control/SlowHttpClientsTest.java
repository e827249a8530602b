package dev.ferry.server.control;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients that send half a request and stall do not stop the HTTP port: with 50 of them connected, {@code /healthz}
 * and a GET of the service answer within a second; a stalled connection is closed after the idle timeout; request
 * headers larger than the bound get 431; a request line that cannot be taken gets 400 with {@code Connection: close}.
 */
class SlowHttpClientsTest
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";

    @Test
    void fiftyStalledConnectionsLeaveHealthAndTheApiAnswering(@TempDir Path directory)
            throws Exception
    {
        try (FerryFixture ferry = FerryFixture.start(directory.resolve("ferry"))) {
            RestClient rest = ferry.rest();
            String token = ferry.adminToken();
            List<Socket> stalled = new ArrayList<>();
            try {
                for (int i = 0; i < 50; i++) {
                    Socket socket = new Socket();
                    socket.connect(new InetSocketAddress("127.0.0.1", ferry.httpPort()), 2_000);
                    OutputStream out = socket.getOutputStream();
                    // Half a request: the request line and one header, never the blank line that ends the headers.
                    out.write(("GET /v1/" + SERVICE + " HTTP/1.1\r\nHost: localhost\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    stalled.add(socket);
                }
                for (int round = 0; round < 5; round++) {
                    long began = System.nanoTime();
                    RestClient.Response health = rest.get("/healthz", null);
                    long healthMillis = (System.nanoTime() - began) / 1_000_000;
                    began = System.nanoTime();
                    RestClient.Response service = rest.get("/v1/" + SERVICE, token);
                    long serviceMillis = (System.nanoTime() - began) / 1_000_000;
                    assertThat(health.status()).isEqualTo(200);
                    assertThat(service.status()).as(service.text()).isEqualTo(200);
                    assertThat(healthMillis).as("/healthz with 50 stalled connections").isLessThan(1_000);
                    assertThat(serviceMillis).as("GET of the service with 50 stalled connections").isLessThan(1_000);
                }
            }
            finally {
                for (Socket socket : stalled) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void aStalledConnectionIsClosedAfterTheIdleTimeoutAndOversizedHeadersAreRefused(@TempDir Path directory)
            throws Exception
    {
        // A second http block: it replaces the fixture's (port 0 again).
        try (FerryFixture ferry = FerryFixture.start(directory.resolve("ferry"), """
                http:
                  port: 0
                  idle-timeout: 2s
                  max-header-bytes: 4096
                """)) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", ferry.httpPort()), 2_000);
                socket.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n".getBytes(StandardCharsets.US_ASCII));
                socket.setSoTimeout(15_000);
                long began = System.nanoTime();
                InputStream in = socket.getInputStream();
                // Closed by the server (end of stream, maybe after an error answer) well before the socket's own timeout.
                while (in.read() >= 0) {
                    // Drain whatever the server says before it closes.
                }
                long waited = (System.nanoTime() - began) / 1_000_000;
                assertThat(waited).as("closed after the 2 s idle timeout").isBetween(1_500L, 10_000L);
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", ferry.httpPort()), 2_000);
                String big = "x".repeat(8_000);
                socket.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + big + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                socket.setSoTimeout(10_000);
                String status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                assertThat(status).isEqualTo("HTTP/1.1 431");
            }
            // A request line Jetty cannot take (an ambiguous path: an encoded NUL): 400, and the connection ends, said
            // in the answer, so that a client does not send its next request on it.
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", ferry.httpPort()), 2_000);
                socket.getOutputStream().write(("GET /v1/" + SERVICE + "/migrationExecutions/a%00b HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                socket.setSoTimeout(10_000);
                // Everything until the server closes the connection.
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(answer).startsWith("HTTP/1.1 400");
                assertThat(answer.substring(0, answer.indexOf("\r\n\r\n")).lines().map(String::toLowerCase)).contains("connection: close");
            }
            assertThat(ferry.rest().get("/healthz", null).status()).isEqualTo(200);
        }
    }

    /**
     * A POST refused before its body was read (no token: 401) whose body had not arrived yet: Jetty closes the
     * connection after the answer, so the answer must say so. Otherwise a client sends its next request on the
     * connection and gets no answer at all: the JDK's client failed RoleMatrixTest once that way ("HTTP/1.1 header
     * parser received no bytes"), since it retries only GETs on a connection found closed.
     */
    @Test
    void aPostRefusedBeforeItsBodyArrivedSaysTheConnectionEnds(@TempDir Path directory)
            throws Exception
    {
        try (FerryFixture ferry = FerryFixture.start(directory.resolve("ferry")); Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", ferry.httpPort()), 2_000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            // The headers first, the body later, as a client's two writes can arrive.
            out.write(("POST /v1/" + SERVICE + ":startMigration HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 401");
            int length = head.lines().filter(line -> line.toLowerCase().startsWith("content-length:")).map(line -> Integer.parseInt(line.substring(15).trim())).findFirst().orElseThrow();
            assertThat(in.readNBytes(length)).hasSize(length);
            if (head.lines().map(String::toLowerCase).anyMatch(line -> line.equals("connection: close"))) {
                // Told: a client opens another connection for its next request.
                return;
            }
            // Not told: the body, and the next request on the same connection, as a client would send them; it must
            // be answered.
            String next;
            try {
                out.write("{}GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                next = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            }
            catch (java.io.IOException e) {
                next = "";
            }
            assertThat(next).as("the answer to a request sent on a connection the first answer did not say would end:%n%s", head).startsWith("HTTP/1.1 200");
        }
    }

    private static String readHead(InputStream in)
            throws java.io.IOException
    {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int next = in.read();
            if (next < 0) {
                break;
            }
            head.append((char) next);
        }
        return head.toString();
    }
}
