package dev.rewind.tools.regress;

import java.util.List;

/**
 * A suite of cases read from a suite file, a folder of X.elf + X.expect pairs, or the class path.
 *
 * @param name     the suite's name (the {@code suite} line, else the file or folder name)
 * @param location where it was read from, as the user named it
 * @param cases    its cases, in file order
 */
public record Suite(String name, String location, List<TestCase> cases) {
    public Suite {
        cases = List.copyOf(cases);
    }
}
