package dev.powernode.server.mcp;

import dev.powernode.common.token.Scope;
import dev.powernode.server.auth.Scopes;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.Problem;
import dev.powernode.server.shared.ProblemWriter;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.security.core.Authentication;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs a tool call: the caller's scope, the arguments against the tool's parameters, the facade
 * call, and its result as structured content (the REST view, serialized the REST way) plus the same
 * JSON as text. A domain error becomes a tool result with {@code isError} whose text is the REST
 * problem document (same code, detail, fields, request id); anything unexpected carries only the
 * request id, and its cause is logged. One log line per call (tool, actor, outcome), never its
 * arguments: they may hold secrets.
 */
final class ToolCalls {
    static final String AUTHENTICATION = "powernode.authentication";
    static final String REQUEST_ID = "powernode.request_id";

    private static final Logger log = LoggerFactory.getLogger("powernode.mcp");
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    private final JsonMapper json;
    private final ProblemWriter problems;

    ToolCalls(JsonMapper json, ProblemWriter problems) {
        this.json = json;
        this.problems = problems;
    }

    CallToolResult call(ToolDef tool, McpTransportContext context, CallToolRequest request) {
        // the handler may run off the request's thread: carry its id for logs and problem documents
        String previousId = MDC.get(ProblemWriter.REQUEST_ID);
        Object requestId = context.get(REQUEST_ID);
        if (requestId != null) {
            MDC.put(ProblemWriter.REQUEST_ID, requestId.toString());
        }
        Authentication caller = (Authentication) context.get(AUTHENTICATION);
        String actor = caller == null ? "anonymous" : caller.getName();
        try {
            requireScope(tool, caller);
            Object result = tool.handler().call(Args.check(tool.params(), request.arguments()), actor);
            Map<String, Object> structured = json.convertValue(result, MAP);
            log.atInfo()
                    .addKeyValue("mcp.tool", tool.name())
                    .addKeyValue("actor", actor)
                    .log("MCP {} by {}: ok", tool.name(), actor);
            return CallToolResult.builder()
                    .structuredContent(structured)
                    .addTextContent(json.writeValueAsString(structured))
                    .isError(false)
                    .build();
        } catch (DomainException e) {
            log.atInfo()
                    .addKeyValue("mcp.tool", tool.name())
                    .addKeyValue("actor", actor)
                    .addKeyValue("error.code", e.code())
                    .log("MCP {} by {}: {} {}", tool.name(), actor, e.code(), e.getMessage());
            return error(Problem.of(e), tool);
        } catch (RuntimeException e) {
            log.error("MCP {} by {} failed unexpectedly", tool.name(), actor, e);
            return error(Problem.unexpected(), tool);
        } finally {
            if (previousId == null) {
                MDC.remove(ProblemWriter.REQUEST_ID);
            } else {
                MDC.put(ProblemWriter.REQUEST_ID, previousId);
            }
        }
    }

    /**
     * The REST rule: read tools need disk_images:read, changes disk_images:write, the rest
     * system:admin; system:admin may do everything.
     */
    private static void requireScope(ToolDef tool, @Nullable Authentication caller) {
        if (caller != null && Scopes.allows(caller, tool.scope())) {
            return;
        }
        Set<Scope> held = caller == null ? Set.of() : Scopes.held(caller);
        throw new DomainException(
                ErrorKind.FORBIDDEN,
                "auth/insufficient-scope",
                tool.name() + " needs the " + tool.scope().value() + " scope; the token has "
                        + held.stream()
                                .map(Scope::value)
                                .sorted()
                                .reduce((a, b) -> a + ", " + b)
                                .orElse("none"));
    }

    /** The problem document as text (no structured content: it would not match the output schema). */
    private CallToolResult error(Problem problem, ToolDef tool) {
        return CallToolResult.builder()
                .addTextContent(problems.document(problem, "mcp:tools/call/" + tool.name()))
                .isError(true)
                .build();
    }
}
