package dev.powernode.server.shared;

import java.util.Set;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.TokenStreamContext;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.deser.jdk.StringDeserializer;
import tools.jackson.databind.deser.std.StdScalarDeserializer;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.module.SimpleModule;
import tools.jackson.databind.type.LogicalType;

/**
 * One strict JSON binding for every route, whether a body binds to a record (POST) or is read as a
 * tree (PATCH, the webhook): a JSON value must already have the type of its field (no {@code "3"}
 * for 3, {@code 3.7} for 3, {@code 1} for true or {@code 123} for "123"), and no string carries
 * control characters ({@link Text#controlCharacterProblem}); line breaks and tabs only in the
 * fields that hold multi-line text ({@link #MULTILINE_FIELDS}).
 */
@Configuration(proxyBeanMethods = false)
public class StrictJson {
    /**
     * Fields whose values are multi-line text: PEM public keys, build scripts, Sigstore bundles, and a
     * Gitea secret's {@code value} (a PEM private key, a JSON credential).
     */
    public static final Set<String> MULTILINE_FIELDS =
            Set.of("build_script", "cosign_public_keys", "signature", "value");

    @Bean
    JsonMapperBuilderCustomizer strictJsonBinding() {
        return builder -> builder.disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                // numbers and booleans are not text either (ALLOW_COERCION_OF_SCALARS leaves strings out)
                .withCoercionConfig(
                        LogicalType.Textual,
                        c -> c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
                .addModule(new SimpleModule("powernode-strict-text").addDeserializer(String.class, new Printable()));
    }

    /**
     * Refuses a parsed JSON tree with control characters in any string value (INVALID naming every
     * such field by its path, e.g. {@code cosign_public_keys[1]}). For bodies read as trees, which
     * do not pass through the binding's string deserializer.
     */
    public static void refuseControlCharacters(JsonNode root) {
        Violations v = new Violations();
        walk(root, "", null, v);
        v.throwIfAny();
    }

    private static void walk(JsonNode node, String path, String field, Violations v) {
        if (node == null) {
            return;
        }
        if (node.isString()) {
            String problem =
                    Text.controlCharacterProblem(node.stringValue(), field != null && MULTILINE_FIELDS.contains(field));
            if (problem != null) {
                v.add(path.isEmpty() ? "body" : path, problem);
            }
        } else if (node.isObject()) {
            for (var e : node.properties()) {
                String name = e.getKey();
                String problem = Text.controlCharacterProblem(name, false);
                if (problem != null) {
                    v.add(path.isEmpty() ? "body" : path, "a field name " + problem);
                    continue;
                }
                walk(e.getValue(), path.isEmpty() ? name : path + "." + name, name, v);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), path + "[" + i + "]", field, v);
            }
        }
    }

    /** A string value with a control character, named by Jackson's path to it. */
    public static final class ControlCharacterException extends MismatchedInputException {
        private final String problem;

        ControlCharacterException(JsonParser p, String problem) {
            super(p, problem, String.class);
            this.problem = problem;
        }

        /** What is wrong with the value, for the field error. */
        public String problem() {
            return problem;
        }
    }

    /** Strings as Jackson reads them, then refused if they carry a control character. */
    static final class Printable extends StdScalarDeserializer<String> {
        Printable() {
            super(String.class);
        }

        @Override
        public LogicalType logicalType() {
            return LogicalType.Textual;
        }

        @Override
        public Object getEmptyValue(DeserializationContext ctxt) {
            return "";
        }

        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) throws JacksonException {
            String value = StringDeserializer.instance.deserialize(p, ctxt);
            String problem = Text.controlCharacterProblem(value, MULTILINE_FIELDS.contains(fieldOf(p)));
            if (problem != null) {
                throw new ControlCharacterException(p, problem);
            }
            return value;
        }

        /** The property a string value belongs to, also when it is an array element. */
        private static String fieldOf(JsonParser p) {
            TokenStreamContext ctx = p.streamReadContext();
            if (ctx != null && ctx.inArray()) {
                ctx = ctx.getParent();
            }
            return ctx == null ? null : ctx.currentName();
        }
    }
}
