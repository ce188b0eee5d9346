package ha.mysql;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One standalone {@code ha} node with its MySQL front end on a free port, or, when
 * MYSQL_TEST_PORT is set, a server that is already running (MYSQL_TEST_HOST,
 * MYSQL_TEST_FLAVOR=mariadb|mysql|ha). The node is ready when its JSON log says
 * {@code listening} and its MySQL port accepts connections.
 */
final class HaServer implements AutoCloseable {
    static final String USER = "ha";
    static final String PASSWORD = "ha";
    static final String DATABASE = "ha.db";
    private static final long READY_TIMEOUT_MS = 30_000;

    final String host;
    final int port;
    /** "ha", or "mariadb"/"mysql" for a real server. */
    final String flavor;
    private final Process process;
    private final Path dir;
    private final List<String> output = Collections.synchronizedList(new ArrayList<>());

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

    /** A key the server numbers by itself: SQLite's rowid alias on ha. */
    String autoinc() {
        return isHa() ? "INTEGER PRIMARY KEY" : "INTEGER PRIMARY KEY AUTO_INCREMENT";
    }

    boolean alive() {
        return process == null || process.isAlive();
    }

    static HaServer start() throws IOException, InterruptedException {
        String externalPort = System.getenv("MYSQL_TEST_PORT");
        if (externalPort != null && !externalPort.isEmpty()) {
            return new HaServer(env("MYSQL_TEST_HOST", "127.0.0.1"), Integer.parseInt(externalPort),
                    env("MYSQL_TEST_FLAVOR", "mariadb"), null, null);
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
        Path dir = Files.createTempDirectory("ha-mysql-java-");
        int port = freePort();
        ProcessBuilder pb = new ProcessBuilder(List.of(bin, "-n", "mysqltest", "--port=0",
                "--bind-address=127.0.0.1", "--log-format=json", "--nats-port=0", "-m",
                "--mysql-port=" + port, "--mysql-user=" + USER, "--mysql-pass=" + PASSWORD,
                DATABASE))
                .directory(dir.toFile())
                .redirectErrorStream(true);
        pb.environment().put("NO_COLOR", "1");
        Process p = pb.start();
        HaServer server = new HaServer("127.0.0.1", port, "ha", p, dir);
        CountDownLatch listening = new CountDownLatch(1);
        Thread reader = new Thread(() -> server.readLog(listening), "ha-log");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        while (listening.getCount() > 0 || !canConnect(port)) {
            if (!p.isAlive() || System.currentTimeMillis() > deadline) {
                String why = p.isAlive()
                        ? "not ready on port " + port + " after " + READY_TIMEOUT_MS / 1000 + "s"
                        : "exited with " + p.exitValue();
                reader.join(1000);
                String log = String.join("\n", server.output);
                server.close();
                throw new IllegalStateException("ha " + why + "; its output:\n" + log);
            }
            if (!listening.await(50, TimeUnit.MILLISECONDS)) {
                continue;
            }
            Thread.sleep(50); // listening, but the port does not answer yet: poll again
        }
        return server;
    }

    /** Copies the node's output to ha.log in its dir and notices its `listening` record. */
    private void readLog(CountDownLatch listening) {
        try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                Writer log = Files.newBufferedWriter(dir.resolve("ha.log"))) {
            String line;
            while ((line = in.readLine()) != null) {
                output.add(line);
                log.write(line);
                log.write('\n');
                log.flush();
                if (line.contains("\"message\":\"listening\"")) {
                    listening.countDown();
                }
            }
        } catch (IOException ignored) {
            // the process went away; its output so far is kept
        }
    }

    String url(String extra) {
        return "jdbc:mysql://" + host + ":" + port + "/" + DATABASE
                + "?useSSL=false&allowPublicKeyRetrieval=true&connectTimeout=10000"
                + (extra.isEmpty() ? "" : "&" + extra);
    }

    Connection connect() throws SQLException {
        return connect("");
    }

    /** A connection with extra URL properties (`a=b&c=d`). */
    Connection connect(String extra) throws SQLException {
        return connect(PASSWORD, extra);
    }

    Connection connect(String password, String extra) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", USER);
        props.setProperty("password", password);
        return DriverManager.getConnection(url(extra), props);
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
        if (dir != null && System.getenv("HA_MYSQL_TEST_KEEP_LOG") == null) {
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
