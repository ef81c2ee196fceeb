package dev.powernode.cli;

import picocli.CommandLine.Command;

@Command(
        name = "ui",
        description = "The web UI (docs/ui.md).",
        subcommands = {UiCommand.Login.class})
final class UiCommand extends CommandGroup {
    @Command(
            name = "login",
            description = {
                "A one-time login link for the web UI, with your token's subject and scopes: open it within 5"
                        + " minutes; the session it opens lasts at most 8 hours and not past your token.",
                "POST /api/v1/system/ui_login_links, any operator scope. The link's token is in its fragment"
                        + " (#token=...), which the browser never sends to a server."
            })
    static final class Login extends ApiCommand {
        @Override
        public void run() {
            output.record(api.client().post("/api/v1/system/ui_login_links", null));
        }
    }
}
