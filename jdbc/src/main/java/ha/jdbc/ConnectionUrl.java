package ha.jdbc;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * The little the Java side reads from a URL: its prefix, and which database it names (the
 * connection's catalog). Everything else, the URL's meaning included, is the native client's.
 */
final class ConnectionUrl {
    static final String PREFIX = "jdbc:ha:";

    private ConnectionUrl() {}

    static boolean accepts(String url) {
        return url != null && url.regionMatches(true, 0, PREFIX, 0, PREFIX.length());
    }

    /** What follows {@code jdbc:ha:}: the native client's URL. */
    static String clientUrl(String url) {
        return url.substring(PREFIX.length());
    }

    /**
     * The database statements go to: the {@code database} property, else the URL's
     * {@code database} parameter, else a node URL's path ({@code http://host:port/app.db}) or a
     * replica file's name; null when the URL names none (a node's default database).
     */
    static String database(String clientUrl, Properties properties) {
        String given = properties == null ? null : properties.getProperty("database");
        if (given != null && !given.isEmpty()) {
            return given;
        }
        String query = "";
        String rest = clientUrl;
        int mark = rest.indexOf('?');
        if (mark >= 0) {
            query = rest.substring(mark + 1);
            rest = rest.substring(0, mark);
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals("database") && eq + 1 < pair.length()) {
                return decode(pair.substring(eq + 1));
            }
        }
        int hash = rest.indexOf('#');
        if (hash >= 0) {
            rest = rest.substring(0, hash);
        }
        String lower = rest.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            String afterScheme = rest.substring(rest.indexOf("//") + 2);
            int slash = afterScheme.indexOf('/');
            String path = slash < 0 ? "" : afterScheme.substring(slash + 1);
            return path.isEmpty() ? null : decode(path);
        }
        if (lower.startsWith("file:")) {
            String path = rest.substring("file:".length());
            int slash = path.lastIndexOf('/');
            String name = slash < 0 ? path : path.substring(slash + 1);
            return name.isEmpty() ? null : decode(name);
        }
        return null;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return text;
        }
    }
}
