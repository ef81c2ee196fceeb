package dev.powernode.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@code powernode mcp} refuses to start without what it needs, before reading stdin; relaying is
 * tested against the platform (platform McpToolsTest, McpInspectorTest).
 */
class McpCommandTest {
    @Test
    void answersHelp() {
        CommandHelpTest.Run r = CommandHelpTest.run("mcp", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("Usage: powernode mcp").contains("--url", "--token-env", "stdio");
    }

    @Test
    void withoutATokenItNamesTheVariableToSet() {
        CommandHelpTest.Run r = CommandHelpTest.run("mcp", "--token-env", "POWERNODE_TEST_SURELY_UNSET_VARIABLE");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("$POWERNODE_TEST_SURELY_UNSET_VARIABLE is not set");
    }

    @Test
    void aUrlThatIsNotHttpIsRefused() {
        CommandHelpTest.Run r = CommandHelpTest.run("mcp", "--url", "ftp://example.org/mcp", "--token-env", "PATH");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--url is not an http(s) URL: ftp://example.org/mcp");
    }
}
