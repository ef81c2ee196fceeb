package dev.powernode.server.web;

import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.Problem;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ExceptionHandler;

/**
 * Errors on the pages are a page, not JSON: the same status, code and detail the API's problem
 * document carries ({@link Problem}), with the way back. Ahead of the API's advice, for the UI's
 * controller only.
 */
@ControllerAdvice(assignableTypes = UiController.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
class WebErrors {
    private static final Logger log = LoggerFactory.getLogger(WebErrors.class);

    @ExceptionHandler(DomainException.class)
    String domain(DomainException e, HttpServletResponse response, Model model) {
        return page(Problem.of(e), response, model);
    }

    @ExceptionHandler(RuntimeException.class)
    String unexpected(RuntimeException e, HttpServletResponse response, Model model) {
        log.error("web UI request failed", e);
        return page(Problem.unexpected(), response, model);
    }

    private static String page(Problem problem, HttpServletResponse response, Model model) {
        response.setStatus(problem.status());
        model.addAttribute("problem", problem);
        return "ui/error";
    }
}
