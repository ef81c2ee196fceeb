package dev.powernode.server.api;

import dev.powernode.server.shared.StrictJson;
import java.lang.reflect.Type;
import org.springframework.core.MethodParameter;
import org.springframework.http.HttpInputMessage;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.RequestBodyAdviceAdapter;
import tools.jackson.databind.JsonNode;

/**
 * Bodies read as JSON trees (merge-patches) do not pass through the binding's string
 * deserializer; the same control-character rule is applied to them here, so every JSON route
 * refuses them alike (422 naming each field).
 */
@ControllerAdvice
class StrictJsonBodyAdvice extends RequestBodyAdviceAdapter {
    @Override
    public boolean supports(
            MethodParameter parameter, Type targetType, Class<? extends HttpMessageConverter<?>> converterType) {
        return JsonNode.class.isAssignableFrom(parameter.getParameterType());
    }

    @Override
    public Object afterBodyRead(
            Object body,
            HttpInputMessage inputMessage,
            MethodParameter parameter,
            Type targetType,
            Class<? extends HttpMessageConverter<?>> converterType) {
        if (body instanceof JsonNode tree) {
            StrictJson.refuseControlCharacters(tree);
        }
        return body;
    }
}
