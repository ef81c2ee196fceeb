package dev.powernode.server.mcp;

import dev.powernode.server.shared.ProblemWriter;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.jackson3.DefaultJsonSchemaValidator;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpStatelessServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpStatelessSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStatelessServerTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.MDC;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.core.context.SecurityContextHolder;
import tools.jackson.databind.json.JsonMapper;

/**
 * The MCP server at {@code /mcp}: the SDK's stateless Streamable HTTP transport (a servlet behind
 * the same Spring Security chain as the REST API, so no token is a 401 before any MCP message is
 * read), no session state in the process (every replica answers any call), and the tools of
 * {@link OperatorTools}. The SDK's own input check is off: {@link Args} applies the same schema
 * with errors that name each field the way the REST routes do; results are validated by the SDK
 * against each tool's output schema.
 */
@Configuration(proxyBeanMethods = false)
class McpServerConfiguration {
    static final String PATH = "/mcp";

    /** MCP's own messages: camelCase, not the API's snake_case; one mapper for the transport and the server. */
    private static final JacksonMcpJsonMapper MCP_JSON =
            new JacksonMcpJsonMapper(JsonMapper.builder().build());

    @Bean
    HttpServletStatelessServerTransport mcpTransport() {
        return HttpServletStatelessServerTransport.builder()
                .jsonMapper(MCP_JSON)
                .messageEndpoint(PATH)
                .maxRequestSize(1024 * 1024)
                .contextExtractor(request -> {
                    Map<String, Object> context = new HashMap<>();
                    var auth = SecurityContextHolder.getContext().getAuthentication();
                    if (auth != null) {
                        context.put(ToolCalls.AUTHENTICATION, auth);
                    }
                    String requestId = MDC.get(ProblemWriter.REQUEST_ID);
                    if (requestId != null) {
                        context.put(ToolCalls.REQUEST_ID, requestId);
                    }
                    return McpTransportContext.create(context);
                })
                .build();
    }

    @Bean
    ServletRegistrationBean<HttpServletStatelessServerTransport> mcpServlet(HttpServletStatelessServerTransport t) {
        ServletRegistrationBean<HttpServletStatelessServerTransport> bean = new ServletRegistrationBean<>(t, PATH);
        bean.setName("mcp");
        return bean;
    }

    @Bean(destroyMethod = "close")
    McpStatelessSyncServer mcpServer(
            HttpServletStatelessServerTransport transport,
            OperatorTools tools,
            JsonMapper json,
            ProblemWriter problems) {
        ToolCalls calls = new ToolCalls(json, problems);
        return McpServer.sync(transport)
                .serverInfo("powernode-platform", version())
                .instructions("Powernode disk images: publish, verify, promote and roll back boot images of node"
                        + " platforms, and drive their CI in Gitea. docs/mcp.md lists every tool.")
                .capabilities(
                        McpSchema.ServerCapabilities.builder().tools(false).build())
                .jsonMapper(MCP_JSON)
                .jsonSchemaValidator(new DefaultJsonSchemaValidator())
                .validateToolInputs(false)
                .immediateExecution(true)
                .requestTimeout(Duration.ofMinutes(2))
                .tools(tools.all().stream()
                        .map(def -> new SyncToolSpecification(def.tool(), (ctx, req) -> calls.call(def, ctx, req)))
                        .toList())
                .build();
    }

    private static String version() {
        String v = McpServerConfiguration.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
