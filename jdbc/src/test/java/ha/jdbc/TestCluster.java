package ha.jdbc;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Real parts for the tests (as node/__test__/cluster.mjs): a nats-server with JetStream and two
 * {@code ha} nodes of ha.db following it, a standalone node with an API token, and a directory
 * for replicas. Every process starts on port 0 and says on stderr where it listens; readiness
 * is that line, never a sleep. One cluster serves every test class ({@link ClusterExtension}).
 */
final class TestCluster implements AutoCloseable {
    static final String TOKEN = "s3cret";
    private static final Duration READY = Duration.ofSeconds(30);
    private static final Pattern NATS_PORT = Pattern.compile("Listening for client connections on [^:]+:(\\d+)");
    private static final Pattern HTTP_ADDR = Pattern.compile("\"http_addr\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern LISTENING = Pattern.compile("\"message\"\\s*:\\s*\"listening\"");
    private static final AtomicInteger NAMES = new AtomicInteger();

    final Process broker;
    final String brokerUrl;
    final List<Node> nodes = new ArrayList<>();
    final Node tokenNode;
    final Path replicas;
    private final List<Path> dirs = new ArrayList<>();

    /** A started {@code ha} node: its process, directory and address (host:port). */
    record Node(Process process, Path dir, String address) {
        String url() {
            return "jdbc:ha:http://" + address + "/ha.db";
        }
    }

    TestCluster() throws Exception {
        Path natsDir = tempDir("ha-java-nats-");
        String[] port = {null};
        broker = start(List.of(natsBin(), "-js", "-a", "127.0.0.1", "-p", "-1", "-sd", natsDir.toString()), null,
                line -> {
                    Matcher m = NATS_PORT.matcher(line);
                    if (m.find()) {
                        port[0] = m.group(1);
                    }
                    return line.contains("Server is ready") ? "" : null;
                }).process;
        brokerUrl = "nats://127.0.0.1:" + port[0];
        for (int i = 0; i < 2; i++) {
            nodes.add(node("--nats-port=0", "--replication-url=" + brokerUrl, "ha.db"));
        }
        tokenNode = node("--nats-port=0", "-m", "--token", TOKEN);
        replicas = tempDir("ha-java-replicas-");
    }

    /** A replica URL of ha.db in the replicas directory. */
    String replicaUrl(String name, String extra) {
        return "jdbc:ha:file:" + replicas.resolve(name + ".db") + "?replication_url=" + brokerUrl + "&node=" + name
                + "&database=ha.db" + (extra == null ? "" : extra);
    }

    private Node node(String... args) throws Exception {
        Path dir = tempDir("ha-java-node-");
        List<String> command = new ArrayList<>(List.of(haBin(), "-n", "javanode" + NAMES.incrementAndGet(), "--port=0",
                "--bind-address=127.0.0.1", "--log-format=json"));
        command.addAll(List.of(args));
        Started started = start(command, dir, line -> {
            if (!LISTENING.matcher(line).find()) {
                return null;
            }
            Matcher address = HTTP_ADDR.matcher(line);
            return address.find() ? address.group(1) : null;
        });
        return new Node(started.process, dir, started.found);
    }

    private record Started(Process process, String found) {}

    /**
     * Starts a process and waits (up to {@link #READY}) for the first stderr line {@code ready}
     * answers non-null for. Its stderr is read to the end, so the process never blocks on it;
     * the last lines are kept for the error when it does not start.
     */
    private static Started start(List<String> command, Path cwd, Function<String, String> ready) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        if (cwd != null) {
            builder.directory(cwd.toFile());
        }
        Process process = builder.start();
        CompletableFuture<String> found = new CompletableFuture<>();
        Deque<String> tail = new ArrayDeque<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    if (!found.isDone()) {
                        synchronized (tail) {
                            tail.addLast(line);
                            if (tail.size() > 50) {
                                tail.removeFirst();
                            }
                        }
                        String value = ready.apply(line);
                        if (value != null) {
                            found.complete(value);
                        }
                    }
                }
            } catch (IOException e) {
                // The process ended.
            }
            found.completeExceptionally(new IllegalStateException("exited with " + exitCode(process)));
        }, "stderr of " + command.get(0));
        reader.setDaemon(true);
        reader.start();
        try {
            return new Started(process, found.get(READY.toMillis(), TimeUnit.MILLISECONDS));
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            String lines;
            synchronized (tail) {
                lines = String.join("\n", tail);
            }
            throw new IllegalStateException(String.join(" ", command) + " did not start (" + e + "):\n" + lines, e);
        }
    }

    private static String exitCode(Process process) {
        try {
            return String.valueOf(process.waitFor());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    static String haBin() {
        String bin = System.getenv("HA_BIN");
        if (bin != null && !bin.isEmpty()) {
            return bin;
        }
        String target = System.getenv("CARGO_TARGET_DIR");
        if (target == null || target.isEmpty()) {
            target = Path.of(System.getProperty("user.home"), ".cache", "ha", "target").toString();
        }
        return Path.of(target, "debug", "ha").toString();
    }

    /** $HA_NATS_BIN, else the one scripts/nats.sh installs, else nats-server on the PATH. */
    static String natsBin() {
        String bin = System.getenv("HA_NATS_BIN");
        if (bin != null && !bin.isEmpty()) {
            return bin;
        }
        Path installed = Path.of(System.getProperty("user.home"), ".cache", "ha", "venv", "bin", "nats-server");
        return Files.isExecutable(installed) ? installed.toString() : "nats-server";
    }

    private Path tempDir(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        dirs.add(dir);
        return dir;
    }

    @Override
    public void close() throws Exception {
        List<Process> processes = new ArrayList<>();
        for (Node node : nodes) {
            processes.add(node.process);
        }
        processes.add(tokenNode.process);
        processes.add(broker);
        for (Process process : processes) {
            process.destroy();
        }
        for (Process process : processes) {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
        for (Path dir : dirs) {
            try (var walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Retries {@code check} until it answers true without throwing, or fails after the timeout. */
    static void eventually(String what, Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Object last = null;
        while (true) {
            try {
                if (check.holds()) {
                    return;
                }
                last = "false";
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                AssertionError error = new AssertionError(what + " never held within " + timeout + "; last: " + last);
                if (last instanceof Throwable) {
                    error.initCause((Throwable) last);
                }
                throw error;
            }
            // A short pause between polls (this is a poll interval, not a wait for readiness).
            Thread.sleep(20);
        }
    }

    @FunctionalInterface
    interface Check {
        boolean holds() throws Exception;
    }
}
