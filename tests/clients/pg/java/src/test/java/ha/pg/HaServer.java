package ha.pg;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One standalone {@code ha} node with its PostgreSQL front end on a free port, or, when
 * PG_TEST_PORT is set, a server that is already running (PG_TEST_HOST, PG_TEST_FLAVOR=postgres|ha).
 */
final class HaServer implements AutoCloseable {
    static final String USER = "ha";
    static final String PASSWORD = "ha";
    static final String DATABASE = "ha";
    private static final long READY_TIMEOUT_MS = 30_000;

    final String host;
    final int port;
    /** "ha", or "postgres" for a real PostgreSQL. */
    final String flavor;
    private final Process process;
    private final Path dir;

    private HaServer(String host, int port, String flavor, Process process, Path dir) {
        this.host = host;
        this.port = port;
        this.flavor = flavor;
        this.process = process;
        this.dir = dir;
    }

    boolean isHa() {
        return flavor.equals("ha");
    }

    /** Binary column type: SQLite's BLOB on ha, BYTEA on PostgreSQL. */
    String blobType() {
        return isHa() ? "BLOB" : "BYTEA";
    }

    static HaServer start() throws IOException, InterruptedException {
        String externalPort = System.getenv("PG_TEST_PORT");
        if (externalPort != null && !externalPort.isEmpty()) {
            return new HaServer(env("PG_TEST_HOST", "127.0.0.1"), Integer.parseInt(externalPort),
                    env("PG_TEST_FLAVOR", "postgres"), null, null);
        }
        String bin = System.getenv("HA_BIN");
        if (bin == null || bin.isEmpty()) {
            String target = env("CARGO_TARGET_DIR",
                    Paths.get(System.getProperty("user.home"), ".cache", "ha", "target").toString());
            bin = Paths.get(target, "debug", "ha").toString();
        }
        if (!Files.isExecutable(Paths.get(bin))) {
            throw new IllegalStateException("ha binary not found at " + bin + " (set HA_BIN)");
        }
        Path dir = Files.createTempDirectory("ha-pg-java-");
        Path log = dir.resolve("ha.log");
        int port = freePort();
        ProcessBuilder pb = new ProcessBuilder(List.of(bin, "-n", "pgtest", "-m", "--nats-port", "0",
                "--port", "0", "--bind-address", "127.0.0.1", "--pg-port", Integer.toString(port),
                "--pg-user", USER, "--pg-pass", PASSWORD))
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("NO_COLOR", "1");
        Process p = pb.start();
        HaServer server = new HaServer("127.0.0.1", port, "ha", p, dir);
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        while (!canConnect(port)) {
            if (!p.isAlive() || System.currentTimeMillis() > deadline) {
                String why = p.isAlive()
                        ? "not accepting connections on port " + port + " after "
                                + READY_TIMEOUT_MS / 1000 + "s"
                        : "exited with " + p.exitValue();
                String output = Files.readString(log, StandardCharsets.UTF_8);
                server.close();
                throw new IllegalStateException("ha " + why + "; its output:\n" + output);
            }
            Thread.sleep(100);
        }
        return server;
    }

    Connection connect() throws SQLException {
        return connect(PASSWORD, new Properties());
    }

    Connection connect(String password, Properties extra) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", USER);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "10");
        props.putAll(extra);
        return DriverManager.getConnection(
                "jdbc:postgresql://" + host + ":" + port + "/" + DATABASE, props);
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy(); // SIGTERM
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (dir != null && System.getenv("HA_PG_TEST_KEEP_LOG") == null) {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException ignored) {
                // a leftover temp dir is harmless
            }
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? fallback : v;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static boolean canConnect(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
