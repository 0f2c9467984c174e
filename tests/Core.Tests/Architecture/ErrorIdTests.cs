using System.Text.RegularExpressions;
using MnistCnn.Core.Backends;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Tracking;

namespace MnistCnn.Core.Tests.Architecture;

/// <summary>
/// Pins the error ids: the full list (area, id, kind, meaning) is docs/error-ids.md, generated from the constants, so a
/// renamed or removed id fails here and shows in review; no id is a string literal in src/; every id is triggered by
/// a behavioural test that names it.
/// </summary>
public sealed partial class ErrorIdTests
{
    /// <summary>Set to 1 (scripts/Update-GeneratedFiles.ps1 does) to rewrite docs/error-ids.md instead of failing.</summary>
    private static bool Updating => Environment.GetEnvironmentVariable("MNISTCNN_UPDATE_GENERATED") == "1";

    private static string Root => SpecFiles.RepoRoot();

    [Fact]
    public void TheCommittedCatalogueIsWhatTheConstantsSay()
    {
        string path = Path.Combine(Root, "docs", "error-ids.md");
        string generated = ErrorIdCatalog.Markdown();
        string committed = File.Exists(path) ? File.ReadAllText(path) : "";
        if (Updating && generated != committed) File.WriteAllText(path, generated);
        else Assert.True(generated == committed,
            "docs/error-ids.md differs from the *ErrorIds constants (an id was added, renamed, removed or re-described); " +
            "run 'dotnet pwsh scripts/Update-GeneratedFiles.ps1', review the diff and commit it. Never rename or remove an id.");
    }

    [Fact]
    public void EveryIdIsItsOwnNamePascalCaseUniqueAndDescribed()
    {
        var entries = ErrorIdCatalog.Entries();
        Assert.True(entries.Count >= 100, $"only {entries.Count} ids found: are the *ErrorIds classes still public static classes?");
        Assert.Contains(entries, e => e.Area == "Cmdlets");
        Assert.Contains(entries, e => e.Area == "Data" && e.Id == "IdxBadMagic");
        foreach (var type in ErrorIdCatalog.Classes())
        {
            foreach (var field in type.GetFields().Where(f => f.IsLiteral))
            {
                Assert.Equal(field.Name, field.GetRawConstantValue());
            }
        }
        var problems = new List<string>();
        foreach (var e in entries)
        {
            if (!PascalCase().IsMatch(e.Id)) problems.Add($"{e.Class}.{e.Id}: not PascalCase");
            if (e.Kinds.Count == 0 && e.Category is null && !e.Warning) problems.Add($"{e.Class}.{e.Id}: no [ErrorKinds(...)]");
            if (e.Meaning.Length < 20) problems.Add($"{e.Class}.{e.Id}: no one-line <summary> saying when it is raised and how to fix it");
        }
        problems.AddRange(entries.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key} is declared in {string.Join(" and ", g.Select(e => e.Class))}"));
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void EveryBuildStyleCodeIsUniqueAndWellFormed()
    {
        var codes = ErrorIdCatalog.Codes(ErrorIdCatalog.Docs());
        Assert.Contains(codes, c => c.Code == "MNC1001" && c.From.StartsWith("spec", StringComparison.Ordinal));
        Assert.Contains(codes, c => c.Code == "MNC1103" && c.From.StartsWith("Experiments.proj", StringComparison.Ordinal));
        Assert.All(codes, c => Assert.Matches(@"^MNC\d{4}$", c.Code));
        Assert.All(codes, c => Assert.False(string.IsNullOrWhiteSpace(c.Meaning), c.Code + " has no meaning"));
        Assert.Equal(codes.Count, codes.Select(c => c.Code).Distinct().Count());
    }

    /// <summary>Where src/ raises an id with a literal kind (or a cmdlet with a literal category), the constant's [ErrorKinds] says so.</summary>
    [Fact]
    public void EveryRaiseSiteUsesAKindItsIdDeclares()
    {
        var entries = ErrorIdCatalog.Entries().ToDictionary(e => e.Id);
        var problems = new List<string>();
        int sites = 0;
        foreach (var (file, line, text) in SourceLines(Path.Combine(Root, "src"), "*.cs"))
        {
            foreach (Match m in RaiseSite().Matches(text))
            {
                sites++;
                string id = m.Groups["id"].Value, kind = m.Groups["kind"].Value;
                if (!entries.TryGetValue(id, out var e)) { problems.Add($"{file}:{line}: {m.Groups["class"].Value}.{id} is not an error id"); continue; }
                bool declared = m.Groups["what"].Value == "Kind"
                    ? e.Kinds.Contains(Enum.Parse<ErrorKind>(kind))
                    : e.Category == kind || e.Kinds.Any(k => k.ToString() == kind);
                if (!declared) problems.Add($"{file}:{line}: {id} is raised as {kind}, which its [ErrorKinds] on {e.Class}.{id} does not list");
            }
        }
        Assert.True(sites > 80, $"only {sites} raise sites found; is the pattern still right?");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void NoErrorIdIsAStringLiteralInSrcOrScripts()
    {
        var found = new List<string>();
        var files = new[] { "src", "scripts" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(Root, folder), "*.cs", SearchOption.AllDirectories)).Where(NotBuildOutput).ToList();
        Assert.Contains(files, f => f.EndsWith("GpuCheckErrorIds.cs", StringComparison.Ordinal));
        foreach (var file in files)
        {
            foreach (var (line, text) in LiteralIds(File.ReadAllText(file)))
            {
                found.Add($"{Path.GetRelativePath(Root, file)}:{line}: {text}");
            }
        }
        Assert.True(found.Count == 0,
            "Error ids must be constants of the area's <Area>ErrorIds class (CmdletErrorIds, GpuCheckErrorIds), never literals; replace these:" +
            Environment.NewLine + string.Join(Environment.NewLine, found));
    }

    /// <summary>
    /// PowerShell scripts can only match ids as text (<c>$_.FullyQualifiedErrorId -match '^(A|B)\b'</c>): every id a
    /// script under scripts/ or experiments/ matches must be one the toolkit raises, so a renamed or mistyped id fails
    /// here rather than silently never matching.
    /// </summary>
    [Fact]
    public void IdsThatScriptsMatchAsTextExist()
    {
        var known = ErrorIdCatalog.Entries().Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        var matched = new List<(string Where, string Id)>();
        foreach (var folder in new[] { "scripts", "experiments" })
        {
            foreach (var (file, line, text) in SourceLines(Path.Combine(Root, folder), "*.ps1"))
            {
                foreach (Match m in ScriptIdMatch().Matches(text))
                {
                    foreach (Match id in Regex.Matches(m.Groups["pattern"].Value, "[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+"))
                    {
                        matched.Add(($"{file}:{line}", id.Value));
                    }
                }
            }
        }
        Assert.Contains(matched, m => m.Id == "TrialIndexOutOfRange"); // scripts/Invoke-CnnSweep.ps1: the scan sees its matches
        var unknown = matched.Where(m => !known.Contains(m.Id)).Select(m => $"{m.Where}: {m.Id}").ToList();
        Assert.True(unknown.Count == 0, "Scripts match error ids that nothing raises:" + Environment.NewLine + string.Join(Environment.NewLine, unknown));
    }

    [GeneratedRegex(@"FullyQualifiedErrorId\s+-(?:not)?(?:c)?(?:match|like)\s+'(?<pattern>[^']+)'", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptIdMatch();

    [Theory]
    [InlineData("throw new MnistCnnException(\"SomethingBroke\", ErrorKind.InvalidData, \"message\");")]
    [InlineData("throw new MlflowApiException(\n    \"MlflowBroke\", ErrorKind.InvalidOperation, m, 0, null, false);")]
    [InlineData("ThrowTerminatingError(ErrorRecords.Create(\"ThingRequired\", ErrorCategory.InvalidArgument, m, null));")]
    [InlineData("new(\"ShortForm\", ErrorKind.InvalidData, m)")]
    [InlineData("404 => (\"SwitchArm\", ErrorKind.ObjectNotFound),")]
    [InlineData("ThrowTerminatingError(new ErrorRecord(\n    new MnistCnnException(Ids.X, ErrorKind.OperationStopped, m),\n    \"SecondArgument\", ErrorCategory.OperationStopped, target));")]
    [InlineData("public const string InUseId = \"RunFolderInUse\";")]
    public void TheLiteralScanFindsEachFormOfLiteralId(string code)
    {
        var (line, text) = Assert.Single(LiteralIds("namespace X;\n" + code));
        Assert.True(line >= 2, $"line {line}");
        Assert.Contains("\"", text);
    }

    [Fact]
    public void TheLiteralScanLeavesConstantsAndMessagesAlone() =>
        Assert.Empty(LiteralIds("""
            throw new MnistCnnException(RunsErrorIds.RunFolderInUse, ErrorKind.ResourceUnavailable, "The folder is in use.", folder);
            ThrowTerminatingError(new ErrorRecord(ex, CmdletErrorIds.TrainingStopped, ErrorCategory.OperationStopped, path));
            public const string FileName = "journal.jsonl";
            """));

    /// <summary>
    /// Ids no test can trigger, each with the reason. Keep this list short: every other id has a test that provokes it
    /// with its own bad input and asserts it.
    /// </summary>
    private static readonly Dictionary<string, string> Untriggerable = new(StringComparer.Ordinal)
    {
        // Raised only after a package passed VerifyAsync, i.e. for a NuGet-signed package that lacks libtorch's native
        // files. A test cannot sign a package (no trusted signing certificate here), and the signed packages in the
        // NuGet cache are complete; unsigned test packages stop earlier at BackendPackageUnsigned (BackendTests).
        [BackendsErrorIds.BackendPackageIncomplete] = "needs a NuGet-signed package without the libtorch files",
    };

    [Fact]
    public void EveryIdIsAssertedByATest()
    {
        var sources = TestSources();
        var missing = ErrorIdCatalog.Entries()
            .Where(e => !Untriggerable.ContainsKey(e.Id) && !sources.Any(s => Names(s, e)))
            .Select(e => $"{e.Class}.{e.Id}")
            .ToList();
        Assert.True(missing.Count == 0,
            $"{missing.Count} error ids are asserted by no test (an xUnit test naming XErrorIds.Id or \"Id\", or a Pester test matching its FullyQualifiedErrorId); " +
            "write a test that triggers each with its own bad input: " + Environment.NewLine + string.Join(Environment.NewLine, missing));
        Assert.All(Untriggerable.Keys, id => Assert.Contains(ErrorIdCatalog.Entries(), e => e.Id == id));
    }

    /// <summary>
    /// A Pester file names an id as a quoted FullyQualifiedErrorId (or a quoted table value); an xUnit file as its
    /// constant, or as a literal on an assertion line (a list of outcomes a fuzzer accepts is not a test of the id).
    /// </summary>
    private static bool Names((string Path, string Text) source, ErrorIdEntry e) =>
        source.Path.EndsWith(".ps1", StringComparison.Ordinal)
            ? Regex.IsMatch(source.Text, $@"['""(|]{e.Id}[,'""|)]|\b{e.Id},MnistCnn\.Cmdlets\.")
            : source.Text.Contains($"{e.Class}.{e.Id}", StringComparison.Ordinal)
              || source.Text.Split('\n').Any(line => line.Contains($"\"{e.Id}\"", StringComparison.Ordinal) && AssertionLine().IsMatch(line));

    /// <summary>Test sources that can trigger an id: xUnit tests (not the shared kit, not this catalogue) and Pester files.</summary>
    private static List<(string Path, string Text)> TestSources()
    {
        string tests = Path.Combine(Root, "tests");
        var list = new List<(string, string)>();
        foreach (var file in Directory.EnumerateFiles(tests, "*.*", SearchOption.AllDirectories).Where(NotBuildOutput))
        {
            string relative = Path.GetRelativePath(tests, file).Replace('\\', '/');
            bool xunit = file.EndsWith(".cs", StringComparison.Ordinal) && !relative.StartsWith("TestKit/", StringComparison.Ordinal)
                && !relative.StartsWith("Core.Tests/Architecture/ErrorId", StringComparison.Ordinal);
            bool pester = file.EndsWith(".ps1", StringComparison.Ordinal) && relative.StartsWith("Module/", StringComparison.Ordinal);
            if (xunit || pester) list.Add((relative, CodeOnly(File.ReadAllText(file), pester)));
        }
        Assert.True(list.Count > 50, $"only {list.Count} test files under {tests}");
        return list;
    }

    /// <summary>The text without comment lines, so a comment that mentions an id does not count as a test of it.</summary>
    private static string CodeOnly(string text, bool powershell) =>
        string.Join('\n', text.Split('\n').Where(l => !l.TrimStart().StartsWith(powershell ? "#" : "//", StringComparison.Ordinal)));

    /// <summary>Each place in C# source that gives an error id as a string literal: (line, the text).</summary>
    public static IReadOnlyList<(int Line, string Text)> LiteralIds(string source)
    {
        var found = new List<(int Line, string Text)>();
        foreach (Match m in LiteralIdPattern().Matches(source))
        {
            found.Add((LineOf(source, m.Index), m.Value.Trim()));
        }
        foreach (Match m in NewErrorRecord().Matches(source))
        {
            // new ErrorRecord(exception, errorId, category, target): the id is the second argument.
            int depth = 0, arg = 0, start = m.Index + m.Length;
            for (int i = start; i < source.Length; i++)
            {
                char c = source[i];
                if (c == '"' && arg == 1 && depth == 0)
                {
                    int end = source.IndexOf('"', i + 1);
                    int line = LineOf(source, i);
                    // The same literal before its category is already found by the pattern.
                    if (!found.Any(f => f.Line == line && f.Text.Contains(source[i..(end + 1)], StringComparison.Ordinal))) found.Add((line, source[i..(end + 1)]));
                    break;
                }
                if (c == '"') { i = SkipString(source, i); continue; }
                if (c is '(' or '[' or '{') depth++;
                else if (c is ')' or ']' or '}') { if (depth-- == 0) break; }
                else if (c == ',' && depth == 0 && ++arg > 1) break;
            }
        }
        return found;
    }

    private static int SkipString(string s, int open)
    {
        for (int i = open + 1; i < s.Length; i++)
        {
            if (s[i] == '\\') i++;
            else if (s[i] == '"') return i;
        }
        return s.Length;
    }

    private static int LineOf(string s, int index) => s.AsSpan(0, index).Count('\n') + 1;

    private static IEnumerable<(string File, int Line, string Text)> SourceLines(string folder, string pattern)
    {
        foreach (var file in Directory.EnumerateFiles(folder, pattern, SearchOption.AllDirectories).Where(NotBuildOutput))
        {
            int n = 0;
            foreach (var text in File.ReadLines(file))
            {
                n++;
                yield return (Path.GetRelativePath(Root, file), n, text);
            }
        }
    }

    private static bool NotBuildOutput(string file)
    {
        var parts = file.Split(Path.DirectorySeparatorChar);
        return !parts.Contains("bin") && !parts.Contains("obj");
    }

    [GeneratedRegex(@"^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$")]
    private static partial Regex PascalCase();

    [GeneratedRegex(@"(?<class>\w+ErrorIds)\.(?<id>\w+)\s*,\s*Error(?<what>Kind|Category)\.(?<kind>\w+)")]
    private static partial Regex RaiseSite();

    /// <summary>
    /// A PascalCase literal where an error id goes: right before a kind or category, as the first argument of an
    /// exception or record factory, or as the value of an <c>...Id</c> constant.
    /// </summary>
    [GeneratedRegex(@"""[A-Z][A-Za-z0-9]+""(?=\s*,\s*Error(?:Kind|Category)\.)|(?:MnistCnnException|MlflowApiException|ErrorRecords\.Create)\(\s*""[A-Z][A-Za-z0-9]+""|\bconst\s+string\s+\w*Id\s*=\s*""[A-Z][A-Za-z0-9]+"";")]
    private static partial Regex LiteralIdPattern();

    [GeneratedRegex(@"Assert\.|\.ErrorId\b|InlineData|Throws")]
    private static partial Regex AssertionLine();

    [GeneratedRegex(@"\bnew\s+ErrorRecord\(")]
    private static partial Regex NewErrorRecord();
}
