package ha.jdbc;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;

/**
 * The JDBC driver's figures (issue 12), printed, never asserted; run by scripts/bench-java.
 * Point reads through a PreparedStatement on an in-process read-only replica against xerial's
 * sqlite-jdbc on the replica's own file, in the same process and run: one thread, each read's
 * row taken (next, getString) before the next read.
 */
public final class ReadBench {
    private static final int ROWS = 10_000;
    private static final String SELECT = "SELECT name FROM bench WHERE id = ?";

    private interface Read {
        String read(int id) throws SQLException;
    }

    private record Figure(double perSecond, double meanUs) {}

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        try (TestCluster cluster = new TestCluster()) {
            try (Connection node = DriverManager.getConnection(cluster.nodes.get(0).url());
                    Statement setup = node.createStatement()) {
                setup.execute("CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, n INTEGER)");
                setup.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < " + ROWS
                        + ") INSERT INTO bench(id, name, n) SELECT x, 'row ' || x, x FROM c");
            }
            Path file = cluster.replicas.resolve("bench.db");
            try (Connection replica = DriverManager.getConnection(cluster.replicaUrl("bench", "&read_only=true"))) {
                TestCluster.eventually("the replica has every row", Duration.ofSeconds(60), () -> count(replica) == ROWS);
                try (Connection raw = DriverManager.getConnection("jdbc:sqlite:file:" + file + "?mode=ro");
                        PreparedStatement base = raw.prepareStatement(SELECT);
                        PreparedStatement ours = replica.prepareStatement(SELECT)) {
                    System.out.printf(Locale.ROOT, "ha-jdbc benchmark: %.0f s per case, %d rows, Java %s, sqlite-jdbc %s%n",
                            seconds, ROWS, System.getProperty("java.version"), raw.getMetaData().getDriverVersion());
                    System.out.printf(Locale.ROOT, "%-58s %10s %9s %9s%n", "case", "ops/s", "mean µs", "vs base");
                    Read baseRead = id -> point(base, id);
                    Read ourRead = id -> point(ours, id);
                    // Warm both up (JIT, statement caches) before either is measured.
                    run(baseRead, 1);
                    run(ourRead, 1);
                    Figure baseFigure = run(baseRead, seconds);
                    // A mark for profilers: the replica's case starts now.
                    System.err.println("measuring ha-jdbc in process " + ProcessHandle.current().pid());
                    Figure oursFigure = run(ourRead, seconds);
                    row("sqlite-jdbc point select (PreparedStatement, same file)", baseFigure, null);
                    row("ha-jdbc replica point select (PreparedStatement)", oursFigure, baseFigure);
                }
                try (Connection remote = DriverManager.getConnection(cluster.nodes.get(0).url());
                        PreparedStatement overGrpc = remote.prepareStatement(SELECT)) {
                    Figure remoteFigure = run(id -> point(overGrpc, id), Math.min(seconds, 2));
                    row("ha-jdbc remote point select (gRPC)", remoteFigure, null);
                }
            }
        }
    }

    private static String point(PreparedStatement statement, int id) throws SQLException {
        statement.setInt(1, id);
        try (ResultSet rows = statement.executeQuery()) {
            if (!rows.next()) {
                throw new SQLException("no row " + id);
            }
            return rows.getString(1);
        }
    }

    private static int count(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*) FROM bench")) {
            rows.next();
            return rows.getInt(1);
        }
    }

    private static Figure run(Read read, double seconds) throws SQLException {
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long n = 0;
        long now = start;
        long sink = 0;
        while (now < end) {
            for (int k = 0; k < 100; k++) {
                sink += read.read(1 + (int) ((n++ * 7919) % ROWS)).length();
            }
            now = System.nanoTime();
        }
        if (sink == 0) {
            throw new IllegalStateException("no rows read");
        }
        double elapsed = (now - start) / 1e9;
        return new Figure(n / elapsed, elapsed / n * 1e6);
    }

    private static void row(String name, Figure figure, Figure base) {
        String ratio = base == null ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * figure.perSecond / base.perSecond);
        System.out.printf(Locale.ROOT, "%-58s %10.0f %9.1f %9s%n", name, figure.perSecond, figure.meanUs, ratio);
    }
}
