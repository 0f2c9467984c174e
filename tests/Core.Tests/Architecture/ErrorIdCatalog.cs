using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using MnistCnn.Cmdlets;
using MnistCnn.Core.Diagnostics;
using SpecCodes = MnistCnn.Core.Experiments.Spec.SpecCodes;

namespace MnistCnn.Core.Tests.Architecture;

/// <summary>One error id: the constant that declares it, its area, the kinds it is raised with and its summary.</summary>
public sealed record ErrorIdEntry(string Id, string Area, string Class, IReadOnlyList<ErrorKind> Kinds, string? Category, bool Warning, string Meaning);

/// <summary>
/// Every error id of the toolkit, read by reflection from the <c>*ErrorIds</c> classes of Core (one per area) and of
/// the cmdlets, with the summaries from the assemblies' XML documentation; <see cref="Markdown"/> writes
/// docs/error-ids.md from it.
/// </summary>
public static partial class ErrorIdCatalog
{
    /// <summary>Core's areas from the bottom up (docs/development.md's map), then the cmdlets.</summary>
    public static readonly string[] AreaOrder =
        ["Diagnostics", "IO", "Data", "Models", "Export", "Training", "Runs", "Prediction", "Reporting", "Tracking", "Experiments", "Backends", "Cmdlets"];

    public static IReadOnlyList<Type> Classes()
    {
        static IEnumerable<Type> Loadable(Assembly assembly)
        {
            try
            {
                return assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException ex)
            {
                // The cmdlets' PowerShell types cannot load without PowerShell; the ErrorIds classes need none of it.
                return ex.Types.Where(t => t is not null)!;
            }
        }
        return Loadable(typeof(MnistCnnException).Assembly).Concat(Loadable(typeof(CmdletErrorIds).Assembly))
            .Where(t => t.IsClass && t.IsAbstract && t.IsSealed && t.Name.EndsWith("ErrorIds", StringComparison.Ordinal))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();
    }

    public static string AreaOf(Type type) =>
        type.Namespace == "MnistCnn.Cmdlets" ? "Cmdlets"
        : type.Namespace!.StartsWith("MnistCnn.Core.", StringComparison.Ordinal) ? type.Namespace["MnistCnn.Core.".Length..].Split('.')[0]
        : type.Namespace!;

    /// <summary>The summaries of Core's and the cmdlets' XML documentation, by member name (<c>F:Namespace.Type.Field</c>).</summary>
    public static IReadOnlyDictionary<string, string> Docs()
    {
        var docs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var assembly in new[] { typeof(MnistCnnException).Assembly, typeof(CmdletErrorIds).Assembly })
        {
            string xml = Path.ChangeExtension(assembly.Location, ".xml");
            foreach (var member in XDocument.Load(xml).Descendants("member"))
            {
                if (member.Element("summary") is { } summary) docs[(string)member.Attribute("name")!] = Text(summary);
            }
        }
        return docs;
    }

    public static IReadOnlyList<ErrorIdEntry> Entries()
    {
        var docs = Docs();
        var entries = new List<ErrorIdEntry>();
        foreach (var type in Classes())
        {
            foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(string)))
            {
                var kinds = field.GetCustomAttribute<ErrorKindsAttribute>();
                docs.TryGetValue($"F:{type.FullName}.{field.Name}", out var meaning);
                entries.Add(new ErrorIdEntry((string)field.GetRawConstantValue()!, AreaOf(type), type.Name, kinds?.Kinds ?? [], kinds?.Category,
                    kinds?.Warning ?? false, meaning ?? ""));
            }
        }
        return entries
            .OrderBy(e => Array.IndexOf(AreaOrder, e.Area) is var i and >= 0 ? i : int.MaxValue)
            .ThenBy(e => e.Area, StringComparer.Ordinal)
            .ThenBy(e => e.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The summary's text on one line, with <c>&lt;c&gt;</c> as code and <c>&lt;see cref&gt;</c> as the name it points to.</summary>
    private static string Text(XElement summary)
    {
        var sb = new StringBuilder();
        foreach (var node in summary.Nodes())
        {
            sb.Append(node switch
            {
                XText t => t.Value,
                XElement { Name.LocalName: "c" } c => "`" + c.Value + "`",
                XElement { Name.LocalName: "see" } see => "`" + ((string?)see.Attribute("cref") ?? "").Split(':')[^1].Split('.')[^1] + "`",
                XElement e => e.Value,
                _ => "",
            });
        }
        return Whitespace().Replace(sb.ToString(), " ").Trim();
    }

    private static string KindText(ErrorIdEntry e) =>
        e.Warning ? "warning"
        : string.Join(", ", e.Kinds) + (e.Category is null ? "" : (e.Kinds.Count > 0 ? "; " : "") + "category " + e.Category);

    /// <summary>docs/error-ids.md as the catalog makes it.</summary>
    public static string Markdown()
    {
        var sb = new StringBuilder();
        sb.Append("""
            # Error ids

            Every error the toolkit raises has a stable id: `MnistCnnException.ErrorId` in .NET, the first part of
            `FullyQualifiedErrorId` in PowerShell (`TrainingStopped,MnistCnn.Cmdlets.StartCnnTrainingCommand`), the `errorId`
            of a failed trial. Scripts and tests match on them, so an id is never renamed or removed. The kind is
            `MnistCnnException.Kind`; in PowerShell it becomes the record's `ErrorCategory` of the same name, unless a
            category is given.

            Each id is a constant of its area's `<Area>ErrorIds` class (`src/Core/<Area>/`; ids the cmdlets make themselves
            are in `src/Cmdlets/CmdletErrorIds.cs`), with an `[ErrorKinds]` attribute and a one-line summary. This file is
            generated from them: after adding an id, run `dotnet pwsh scripts/Update-GeneratedFiles.ps1` and commit the
            result (`tests/Core.Tests/Architecture/ErrorIdTests.cs` fails while it differs, and also when an id is still a
            string literal in `src/` or no test triggers it). Experiment-spec problems have codes instead (`MNC1001`...;
            below, and [experiments.md](experiments.md)).

            | Id | Area | Kind | Meaning and fix |
            | --- | --- | --- | --- |

            """.ReplaceLineEndings("\n"));
        foreach (var e in Entries())
        {
            sb.Append(CultureInfo.InvariantCulture, $"| `{e.Id}` | {e.Area} | {KindText(e)} | {Cell(e.Meaning)} |\n");
        }
        sb.Append("""

            ## Codes in build-style lines

            Experiment-spec problems and the MSBuild experiment targets (`experiments/Experiments.proj`) print
            `file(line,col): error MNCxxxx: message` lines, so IDEs and CI annotate them; the codes are as stable as the ids.
            Spec problems come together in one `ExperimentSpecInvalid` error. `tools/GlibcxxCompat`, run by the build,
            prints `warning MNC1200` when it cannot patch `libLibTorchSharp.so` (the build goes on). `MNC0001`-`MNC0003`
            are the repository's own analyzer rules, compile errors in its code (docs/development.md#analyzers).

            | Code | From | Meaning |
            | --- | --- | --- |

            """.ReplaceLineEndings("\n"));
        foreach (var (code, from, meaning) in Codes(docs: Docs()))
        {
            sb.Append(CultureInfo.InvariantCulture, $"| `{code}` | {from} | {Cell(meaning)} |\n");
        }
        return sb.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>
    /// The spec codes (<see cref="SpecCodes"/>) and the codes of the errors and warnings of
    /// experiments/Experiments.proj, in code order.
    /// </summary>
    public static IReadOnlyList<(string Code, string From, string Meaning)> Codes(IReadOnlyDictionary<string, string> docs)
    {
        var codes = typeof(SpecCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => ((string)f.GetRawConstantValue()!, $"spec (`SpecCodes.{f.Name}`)", docs.GetValueOrDefault($"F:{typeof(SpecCodes).FullName}.{f.Name}") ?? ""))
            .ToList();
        var project = XDocument.Load(Path.Combine(SpecFiles.RepoRoot(), "experiments", "Experiments.proj"));
        foreach (var task in project.Descendants().Where(e => e.Name.LocalName is "Error" or "Warning" && e.Attribute("Code") is not null))
        {
            codes.Add(((string)task.Attribute("Code")!, $"Experiments.proj ({task.Name.LocalName.ToLowerInvariant()})", (string?)task.Attribute("Text") ?? ""));
        }
        // The repository's analyzer rules (compile errors in our own code), from their release-tracking table.
        foreach (var file in new[] { "AnalyzerReleases.Shipped.md", "AnalyzerReleases.Unshipped.md" })
        {
            foreach (Match row in AnalyzerRule().Matches(File.ReadAllText(Path.Combine(SpecFiles.RepoRoot(), "tools", "Analyzers", file))))
            {
                codes.Add((row.Groups["code"].Value, $"analyzer ({row.Groups["severity"].Value.ToLowerInvariant()})", row.Groups["notes"].Value.Trim()));
            }
        }
        // The build's libstdc++ patcher, which warns and lets the build go on.
        var patcher = File.ReadAllText(Path.Combine(SpecFiles.RepoRoot(), "tools", "GlibcxxCompat", "Program.cs"));
        foreach (Match warning in PatcherWarning().Matches(patcher))
        {
            codes.Add((warning.Groups["code"].Value, "tools/GlibcxxCompat (warning)", "libLibTorchSharp.so needs a newer libstdc++ than the host has and cannot be patched (docs/development.md#debian-12-and-libstdc); the build goes on, loading it will fail."));
        }
        return codes.OrderBy(c => c.Item1, StringComparer.Ordinal).ToList();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^(?<code>MNC\d{4})\s*\|\s*\w+\s*\|\s*(?<severity>\w+)\s*\|\s*(?:ScalarConversionAnalyzer:\s*)?(?<notes>[^\r\n]+)$", RegexOptions.Multiline)]
    private static partial Regex AnalyzerRule();

    [GeneratedRegex(@"warning (?<code>MNC\d{4}):")]
    private static partial Regex PatcherWarning();
}
