package ha.jdbc.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Where in the jar the library of each platform is looked for. */
class NativeLibraryTest {
    @Test
    void platformFolders() {
        assertEquals("linux-x86_64", NativeLibrary.platform("Linux", "amd64"));
        assertEquals("linux-aarch64", NativeLibrary.platform("Linux", "aarch64"));
        assertEquals("macos-aarch64", NativeLibrary.platform("Mac OS X", "aarch64"));
        assertEquals("windows-x86_64", NativeLibrary.platform("Windows 11", "amd64"));
        assertEquals("libha_jdbc.so", NativeLibrary.fileName("linux-x86_64"));
        assertEquals("libha_jdbc.dylib", NativeLibrary.fileName("macos-aarch64"));
        assertEquals("ha_jdbc.dll", NativeLibrary.fileName("windows-x86_64"));
    }
}
