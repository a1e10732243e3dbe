package dev.rewind.tools;

import static dev.rewind.tools.Fixtures.rewind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.tools.CliRun.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The user's documents and the command line agree: every {@code rewind COMMAND ... --option}
 * that README.md, guest/sdk/README.md or a docs/*.md shows names an option that COMMAND accepts
 * (as picocli's model of it says), every option a command accepts is shown in its help with a
 * description, and every command refuses what it does not know with exit status 2.
 */
class DocsCommandLineTest {
    /** "rewind" (or "./rewind") and the word after it, where it starts a command line. */
    private static final Pattern COMMAND = Pattern.compile("(?<![\\w/.-])(?:\\./)?rewind[ \\t]+([a-z]+)\\b");

    /** An option word: -x, --long-name, --name=value (its name only). */
    private static final Pattern OPTION = Pattern.compile("(?<![\\w/.=:-])(--?[A-Za-z][A-Za-z0-9-]*)");

    /** Where a command line in a document ends: a shell operator, a comment, or another command. */
    private static final Pattern END =
            Pattern.compile("\\s(?:\\||\\|\\||&&|;|#|>|<)\\s|[)`]|(?<![\\w/.-])(?:\\./)?rewind\\s");

    /** The whole command tree, as {@code rewind --help} builds it. */
    private static CommandLine tree() {
        CommandLine cl = new CommandLine(new Main());
        Main.addSubcommands(cl);
        return cl;
    }

    /** The user-facing documents: README.md, the SDK's README and docs/*.md. */
    private static List<Path> documents() throws IOException {
        Path root = Fixtures.projectRoot();
        List<Path> docs = new ArrayList<>(List.of(root.resolve("README.md"), root.resolve("guest/sdk/README.md")));
        try (Stream<Path> s = Files.list(root.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        return docs;
    }

    /**
     * The options of each {@code rewind COMMAND [SUBCOMMAND] ...} in {@code line}, as
     * "COMMAND[ SUBCOMMAND] OPTION", for the commands {@code tree} has; other words after
     * "rewind" (prose: "rewind's", output: "rewind: ...") are not command lines.
     */
    static List<String[]> optionsIn(String line, CommandLine tree) {
        List<String[]> found = new ArrayList<>();
        Matcher m = COMMAND.matcher(line);
        int from = 0;
        while (from < line.length() && m.find(from)) {
            CommandLine cmd = tree.getSubcommands().get(m.group(1));
            from = m.end();
            if (cmd == null || m.group(1).equals("help")) {
                continue;
            }
            String rest = line.substring(m.end());
            Matcher end = END.matcher(rest);
            if (end.find()) {
                rest = rest.substring(0, end.start());
            }
            String[] words = rest.strip().split("\\s+");
            String name = m.group(1);
            if (words.length > 0 && cmd.getSubcommands().containsKey(words[0])) {
                name += " " + words[0];
                cmd = cmd.getSubcommands().get(words[0]);
            }
            Matcher o = OPTION.matcher(rest);
            while (o.find()) {
                found.add(new String[] {name, o.group(1)});
            }
        }
        return found;
    }

    @Test
    void everyOptionTheDocumentsGiveACommandIsOneItAccepts() throws IOException {
        CommandLine tree = tree();
        List<String> unknown = new ArrayList<>();
        Map<String, Integer> checked = new TreeMap<>();
        for (Path doc : documents()) {
            List<String> lines = Files.readAllLines(doc);
            for (int i = 0; i < lines.size(); i++) {
                for (String[] use : optionsIn(lines.get(i), tree)) {
                    CommandLine cmd = tree;
                    for (String w : use[0].split(" ")) {
                        cmd = cmd.getSubcommands().get(w);
                    }
                    checked.merge(use[0], 1, Integer::sum);
                    if (cmd.getCommandSpec().findOption(use[1]) == null) {
                        unknown.add(Fixtures.projectRoot().relativize(doc) + ":" + (i + 1) + ": rewind " + use[0]
                                + " has no option " + use[1]);
                    }
                }
            }
        }
        assertEquals(List.of(), unknown);
        // The scan must see the documents' command lines (it did: 400 options of 8 commands).
        assertTrue(checked.getOrDefault("boot", 0) > 50, checked::toString);
        assertTrue(checked.getOrDefault("inject", 0) > 50, checked::toString);
        assertTrue(checked.getOrDefault("test", 0) > 5, checked::toString);
        assertTrue(checked.containsKey("inject merge") && checked.containsKey("disk format"), checked::toString);
    }

    /** The scan itself: what it takes for a command line and what it leaves. */
    @Test
    void theScanFindsOptionsOfCommandLinesOnly() {
        CommandLine tree = tree();
        List<String> found = new ArrayList<>();
        for (String[] use : optionsIn(
                "`./rewind boot --timeout 5s x | sleep --bogus` and `rewind inject merge a.jsonl --json=m.json`,"
                        + " rewind's --nothing; rewind: --nothing; `rewind test --tag x -j 2` rewind disk format"
                        + " x.img --size 8M # --comment",
                tree)) {
            found.add(use[0] + " " + use[1]);
        }
        assertEquals(
                List.of("boot --timeout", "inject merge --json", "test --tag", "test -j", "disk format --size"), found);
    }

    /** Each command's --help lists every option it accepts, each with what it does. */
    @Test
    void everyOptionOfEveryCommandIsDescribedInItsHelp() {
        List<String> undocumented = new ArrayList<>();
        List<CommandLine> todo = new ArrayList<>(List.of(tree()));
        int options = 0;
        while (!todo.isEmpty()) {
            CommandLine cl = todo.remove(0);
            CommandSpec spec = cl.getCommandSpec();
            todo.addAll(cl.getSubcommands().values());
            if (spec.name().equals("help")) {
                continue;
            }
            String help = cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
            for (OptionSpec o : spec.options()) {
                options++;
                String what = spec.qualifiedName() + " " + o.longestName();
                if (o.hidden() || !help.contains(o.longestName())) {
                    undocumented.add(what + ": not in the help");
                }
                if (String.join("", o.description()).isBlank()) {
                    undocumented.add(what + ": no description");
                }
            }
            for (PositionalParamSpec p : spec.positionalParameters()) {
                if (p.hidden() || String.join("", p.description()).isBlank()) {
                    undocumented.add(spec.qualifiedName() + " " + p.paramLabel() + ": not described");
                }
            }
        }
        assertEquals(List.of(), undocumented);
        assertTrue(options > 60, "saw only " + options + " options");
    }

    /**
     * Asking for the help of a command that does not exist is bad usage, not the top-level help
     * with exit status 0 ({@code rewind trace --help} said nothing about there being no trace).
     */
    @Test
    void theHelpOfACommandThatDoesNotExistIsRefused() {
        for (String[] args : List.of(
                new String[] {"trace", "--help"},
                new String[] {"trace", "-h"},
                new String[] {"disk", "nosuch", "--help"},
                new String[] {"images", "extra", "--help"})) {
            Result r = rewind((Object[]) args);
            assertEquals(2, r.status(), () -> String.join(" ", args) + ": " + r);
            assertTrue(r.err().contains("'" + args[args.length - 2] + "'"), r::toString);
            assertFalse(r.out().contains("Usage:"), r::toString);
        }
        Result ok = rewind("disk", "format", "--help");
        assertEquals(0, ok.status(), ok::toString);
        assertTrue(ok.out().startsWith("Usage: rewind disk format"), ok::toString);
    }

    /** Each command refuses an unknown option with exit status 2 and says which, never a stack trace. */
    @Test
    void everyCommandRefusesAnUnknownOption() {
        List<String> commands = new ArrayList<>();
        List<CommandLine> todo = new ArrayList<>(List.of(tree()));
        while (!todo.isEmpty()) {
            CommandLine cl = todo.remove(0);
            todo.addAll(cl.getSubcommands().values());
            commands.add(cl.getCommandSpec().qualifiedName(" ").replaceFirst("^rewind ?", ""));
        }
        assertTrue(commands.size() > 12, commands::toString);
        for (String c : commands) {
            List<String> args = new ArrayList<>(c.isEmpty() ? List.of() : List.of(c.split(" ")));
            args.add("--no-such-option");
            Result r = rewind(args.toArray());
            assertEquals(2, r.status(), () -> args + ": " + r);
            String first = r.err().lines().findFirst().orElse("");
            // (a command whose required arguments are missing says that first)
            assertTrue(
                    first.contains("'--no-such-option'") || first.startsWith("Missing required"),
                    () -> args + ": " + r);
            assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), () -> args + ": " + r);
        }
    }
}
