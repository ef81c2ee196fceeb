package dev.powernode.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ApiProblemTest {
    @Test
    void aProblemIsItsCodeAndDetailThenEachInvalidField() {
        String text = ApiClient.problem(422, "/api/v1/system/node_platforms/ops", """
                {"type":"urn:powernode:problem:validation/invalid","status":422,"code":"validation/invalid",
                 "request_id":"r-0",
                 "detail":"disk_image_retention_count: must be between 1 and 100",
                 "errors":[{"field":"disk_image_retention_count","message":"must be between 1 and 100"}]}
                """);

        assertThat(text.lines().toList())
                .containsExactly(
                        "validation/invalid: disk_image_retention_count: must be between 1 and 100 (HTTP 422)",
                        "  disk_image_retention_count: must be between 1 and 100");
    }

    @Test
    void anUnexpectedErrorNamesItsRequestId() {
        assertThat(ApiClient.problem(
                        500,
                        "/x",
                        "{\"code\":\"internal\",\"detail\":\"an unexpected error occurred\",\"request_id\":\"r-1\"}"))
                .isEqualTo("internal: an unexpected error occurred (HTTP 500, request_id r-1)");
    }

    @Test
    void anAnswerThatIsNoProblemIsShownAsItCame() {
        assertThat(ApiClient.problem(502, "/api/v1/x", "<html>bad gateway</html>"))
                .isEqualTo("HTTP 502 from /api/v1/x: <html>bad gateway</html>");
    }
}
