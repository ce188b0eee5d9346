package ha.jdbc.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads the native library once per class loader: a file named by the system property
 * {@code ha.jdbc.native} or the environment variable {@code HA_JDBC_NATIVE} (a development
 * build, or a platform the jar does not carry), else the jar's copy for this platform,
 * {@code /ha/jdbc/native/<os>-<arch>/<library>}, extracted to a temporary file because
 * {@link System#load} needs a path on disk.
 */
public final class NativeLibrary {
    public static final String PROPERTY = "ha.jdbc.native";
    public static final String ENVIRONMENT = "HA_JDBC_NATIVE";

    private static boolean loaded;

    private NativeLibrary() {}

    public static synchronized void load() {
        if (loaded) {
            return;
        }
        String named = System.getProperty(PROPERTY);
        if (named == null || named.isEmpty()) {
            named = System.getenv(ENVIRONMENT);
        }
        if (named != null && !named.isEmpty()) {
            System.load(Path.of(named).toAbsolutePath().toString());
        } else {
            Path file = extract();
            System.load(file.toString());
            forget(file);
        }
        loaded = true;
    }

    /** The jar's folder for this platform, e.g. {@code linux-x86_64}. */
    static String platform(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            os = "linux";
        } else if (os.startsWith("mac") || os.startsWith("darwin")) {
            os = "macos";
        } else if (os.startsWith("windows")) {
            os = "windows";
        } else {
            os = os.replaceAll("[^a-z0-9]", "");
        }
        String arch = osArch.toLowerCase(Locale.ROOT);
        switch (arch) {
            case "amd64":
            case "x86_64":
            case "x64":
                arch = "x86_64";
                break;
            case "aarch64":
            case "arm64":
                arch = "aarch64";
                break;
            default:
                arch = arch.replaceAll("[^a-z0-9_]", "");
        }
        return os + "-" + arch;
    }

    /** The library's file name on that platform's folder. */
    static String fileName(String platform) {
        if (platform.startsWith("windows")) {
            return "ha_jdbc.dll";
        }
        if (platform.startsWith("macos")) {
            return "libha_jdbc.dylib";
        }
        return "libha_jdbc.so";
    }

    /**
     * Removes the extracted copy: a loaded library stays mapped, so on Linux and macOS it can
     * go at once; where it cannot (Windows), it goes when the JVM exits.
     */
    private static void forget(Path file) {
        Path dir = file.getParent();
        try {
            Files.delete(file);
            Files.delete(dir);
        } catch (IOException e) {
            dir.toFile().deleteOnExit();
            file.toFile().deleteOnExit();
        }
    }

    private static Path extract() {
        String platform = platform(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
        String name = fileName(platform);
        String resource = "/ha/jdbc/native/" + platform + "/" + name;
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new UnsatisfiedLinkError("the ha JDBC driver has no native library for " + platform
                        + " (no " + resource + " in the jar); build one from jdbc/native and name it with -D"
                        + PROPERTY + "=/path/" + name + " or " + ENVIRONMENT);
            }
            Path dir = Files.createTempDirectory("ha-jdbc-");
            Path file = dir.resolve(name);
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            UnsatisfiedLinkError error = new UnsatisfiedLinkError(
                    "the ha JDBC driver could not extract its native library " + resource + ": " + e.getMessage());
            error.initCause(e);
            throw error;
        }
    }
}
