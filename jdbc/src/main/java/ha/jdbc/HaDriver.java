package ha.jdbc;

import ha.jdbc.core.Native;
import ha.jdbc.core.NativeException;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLNonTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * The driver of {@code jdbc:ha:} URLs: {@code jdbc:ha:http://host:8080/app.db} (a node, over
 * gRPC) or {@code jdbc:ha:file:/path/app.db?replication_url=nats://host:4222&node=NAME&database=ha.db}
 * (an in-process replica). What follows {@code jdbc:ha:} and every property go to the native
 * client as they are; it reads them (the password is the API token).
 */
public final class HaDriver implements Driver {
    public static final int MAJOR_VERSION = 0;
    public static final int MINOR_VERSION = 1;
    public static final String VERSION = "0.1.0";

    static {
        try {
            DriverManager.registerDriver(new HaDriver());
        } catch (SQLException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Override
    public boolean acceptsURL(String url) {
        return ConnectionUrl.accepts(url);
    }

    @Override
    public Connection connect(String url, Properties info) throws SQLException {
        if (!acceptsURL(url)) {
            return null;
        }
        loadNative();
        String clientUrl = ConnectionUrl.clientUrl(url);
        List<String> keys = new ArrayList<>();
        List<String> values = new ArrayList<>();
        if (info != null) {
            for (String key : info.stringPropertyNames()) {
                keys.add(key);
                values.add(info.getProperty(key));
            }
        }
        long client;
        try {
            client = Native.open(clientUrl, keys.toArray(new String[0]), values.toArray(new String[0]), 0);
        } catch (NativeException e) {
            throw Errors.from(e);
        }
        return new HaConnection(url, client, ConnectionUrl.database(clientUrl, info));
    }

    private static void loadNative() throws SQLException {
        try {
            Native.init();
        } catch (UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
            throw new SQLNonTransientConnectionException("the ha JDBC driver's native library is not available: "
                    + e.getMessage(), "08001", e);
        }
    }

    @Override
    public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
        Properties given = info == null ? new Properties() : info;
        return new DriverPropertyInfo[] {
            property(given, "token", "the node's API token (the password property is the same)"),
            property(given, "replication_url", "a replica's broker, nats://host:4222"),
            property(given, "node", "a replica's name in the cluster (stable across runs)"),
            property(given, "database", "the cluster database (a replica's; a node's, else the URL's path)"),
            choice(given, "read_only", "a replica that refuses writes", "false"),
            property(given, "timeout_ms", "how long a replica's write waits for the broker"),
            property(given, "tls_ca_file", "a PEM file of a CA to trust for https:// nodes"),
        };
    }

    private static DriverPropertyInfo property(Properties given, String name, String description) {
        DriverPropertyInfo property = new DriverPropertyInfo(name, given.getProperty(name));
        property.description = description;
        return property;
    }

    private static DriverPropertyInfo choice(Properties given, String name, String description, String fallback) {
        DriverPropertyInfo property = new DriverPropertyInfo(name, given.getProperty(name, fallback));
        property.description = description;
        property.choices = new String[] {"false", "true"};
        return property;
    }

    @Override public int getMajorVersion() { return MAJOR_VERSION; }
    @Override public int getMinorVersion() { return MINOR_VERSION; }

    /** Not fully: no stored procedures, no updatable result sets, no SQL-92 entry level parser of its own. */
    @Override public boolean jdbcCompliant() { return false; }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw Errors.notSupported("java.util.logging");
    }
}
