package ha.jdbc;

import java.util.regex.Pattern;

/**
 * A JDBC metadata pattern ({@code %} any run, {@code _} one character, {@code \} escapes the
 * next), matched without regard to case as SQLite compares identifiers. A null pattern
 * matches everything.
 */
final class LikePattern {
    private final Pattern regex;
    private final String exact;

    private LikePattern(Pattern regex, String exact) {
        this.regex = regex;
        this.exact = exact;
    }

    static LikePattern of(String pattern) {
        if (pattern == null) {
            return new LikePattern(null, null);
        }
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        boolean wild = false;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()) {
                char next = pattern.charAt(++i);
                regex.append(Pattern.quote(String.valueOf(next)));
                literal.append(next);
            } else if (c == '%') {
                regex.append(".*");
                wild = true;
            } else if (c == '_') {
                regex.append('.');
                wild = true;
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
                literal.append(c);
            }
        }
        Pattern compiled = Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.DOTALL);
        return new LikePattern(compiled, wild ? null : literal.toString());
    }

    boolean matches(String name) {
        if (regex == null) {
            return true;
        }
        return name != null && regex.matcher(name).matches();
    }

    /** The one name the pattern can match, when it has no wildcard (a cheaper catalog question). */
    String exactName() {
        return exact;
    }
}
