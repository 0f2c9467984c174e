using System.Text.RegularExpressions;
using MnistCnn.Core.Tests.Experiments;

namespace MnistCnn.Core.Tests.Architecture;

/// <summary>
/// Core's areas (the namespaces under MnistCnn.Core: Data, Models, Training, Runs, ...) form layers: an area may
/// import a lower one, never one that imports it back, directly or through others. C# needs a using directive or a
/// qualified name to reach a sibling namespace, so the source says every arrow: each file's namespace is its area,
/// and every "MnistCnn.Core.X" it names is an arrow to X, as is "X.SomeType" (qualified from the parent namespace,
/// e.g. IO.AtomicFile) where SomeType is a type declared in area X.
/// </summary>
public sealed partial class AreaDependencyTests
{
    /// <summary>The namespace a file declares: its area is the first name after <paramref name="root"/>.</summary>
    private static Regex NamespaceLine(string root) => new(@"^\s*namespace\s+" + Regex.Escape(root) + @"(?:\.(?<area>\w+))?(?![\w])", RegexOptions.Multiline);

    /// <summary>A name under <paramref name="root"/>: the area it names.</summary>
    private static Regex AreaReference(string root) => new(@"\b" + Regex.Escape(root) + @"\.(?<area>\w+)");

    [GeneratedRegex(@"^\s*namespace\s+(?<name>[\w.]+)", RegexOptions.Multiline)]
    private static partial Regex AnyNamespace();

    [GeneratedRegex(@"(?<![\w.])(?<area>[A-Z]\w*)\.(?<type>[A-Z]\w*)")]
    private static partial Regex PartlyQualifiedType();

    [GeneratedRegex(@"\b(?:class|record|interface|enum|struct)\s+(?<type>[A-Z]\w*)")]
    private static partial Regex TypeDeclaration();

    /// <summary>
    /// Arrows between the areas under the namespace <paramref name="root"/> (Core's areas; or the parts of one area,
    /// such as Experiments' Spec, Sweeps and Running), each with the files that make it.
    /// </summary>
    public static Dictionary<(string From, string To), List<string>> ReadArrows(string coreFolder, string root = "MnistCnn.Core")
    {
        var namespaceLine = NamespaceLine(root);
        var areaReference = AreaReference(root);
        var arrows = new Dictionary<(string, string), List<string>>();
        var files = new List<(string Relative, string Area, string Text)>();
        var declared = new Dictionary<string, HashSet<string>>();
        foreach (var file in Directory.EnumerateFiles(coreFolder, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(coreFolder, file);
            if (relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj") continue;
            var text = File.ReadAllText(file);
            var ns = namespaceLine.Match(text);
            if (!ns.Success) continue;
            var area = ns.Groups["area"].Success ? ns.Groups["area"].Value : "(root)";
            files.Add((relative, area, text));
            if (!declared.TryGetValue(area, out var types)) declared[area] = types = [];
            types.UnionWith(TypeDeclaration().Matches(text).Select(m => m.Groups["type"].Value));
        }
        foreach (var (relative, from, text) in files)
        {
            var named = areaReference.Matches(text).Select(m => m.Groups["area"].Value)
                .Concat(PartlyQualifiedType().Matches(text)
                    .Where(m => declared.TryGetValue(m.Groups["area"].Value, out var types) && types.Contains(m.Groups["type"].Value))
                    .Select(m => m.Groups["area"].Value));
            foreach (var to in named.Distinct())
            {
                if (to == from) continue;
                if (!arrows.TryGetValue((from, to), out var list)) arrows[(from, to)] = list = [];
                list.Add(relative);
            }
        }
        return arrows;
    }

    /// <summary>Every group of areas that reach each other (strongly connected, more than one area), sorted.</summary>
    public static List<List<string>> FindCycles(IEnumerable<(string From, string To)> arrows)
    {
        var next = arrows.GroupBy(a => a.From).ToDictionary(g => g.Key, g => g.Select(a => a.To).ToList());
        var areas = next.Keys.Concat(next.Values.SelectMany(v => v)).Distinct().Order(StringComparer.Ordinal).ToList();
        HashSet<string> Reach(string start)
        {
            var seen = new HashSet<string>();
            var todo = new Stack<string>([start]);
            while (todo.TryPop(out var area))
            {
                foreach (var to in next.GetValueOrDefault(area) ?? [])
                {
                    if (seen.Add(to)) todo.Push(to);
                }
            }
            return seen;
        }
        var reach = areas.ToDictionary(a => a, Reach);
        var cycles = new List<List<string>>();
        var placed = new HashSet<string>();
        foreach (var area in areas)
        {
            if (placed.Contains(area) || !reach[area].Contains(area)) continue;
            var group = areas.Where(other => reach[area].Contains(other) && reach[other].Contains(area)).ToList();
            placed.UnionWith(group);
            cycles.Add(group);
        }
        return cycles;
    }

    [Fact]
    public void NoTwoCoreAreasImportEachOther()
    {
        var core = Path.Combine(SpecFiles.RepoRoot(), "src", "Core");
        var arrows = ReadArrows(core);
        Assert.True(arrows.Count > 10, $"Read only {arrows.Count} arrows from {core}; the scan is broken.");
        var cycles = FindCycles(arrows.Keys);
        var described = cycles.Select(group => string.Join(" <-> ", group) + ": " + string.Join("; ",
            arrows.Where(a => group.Contains(a.Key.From) && group.Contains(a.Key.To))
                  .Select(a => $"{a.Key.From} -> {a.Key.To} in {string.Join(", ", a.Value.Order(StringComparer.Ordinal))}")));
        Assert.True(cycles.Count == 0,
            "Core areas import each other. Move what both need to the lower area (or the upper code up):\n"
            + string.Join("\n", described));
    }

    [Fact]
    public void NoTwoPartsOfExperimentsImportEachOther()
    {
        var arrows = ReadArrows(Path.Combine(SpecFiles.RepoRoot(), "src", "Core", "Experiments"), "MnistCnn.Core.Experiments");
        Assert.Contains(("Sweeps", "Spec"), arrows.Keys);
        Assert.Contains(("Running", "Sweeps"), arrows.Keys);
        Assert.Contains(("Running", "Spec"), arrows.Keys);
        var cycles = FindCycles(arrows.Keys);
        Assert.True(cycles.Count == 0, "Parts of Experiments import each other: " + string.Join("; ", cycles.Select(g => string.Join(" <-> ", g) + " (" + string.Join(", ",
            arrows.Where(a => g.Contains(a.Key.From) && g.Contains(a.Key.To)).Select(a => $"{a.Key.From} -> {a.Key.To} in {string.Join(", ", a.Value)}")) + ")")));
    }

    [Fact]
    public void EveryCoreFilesNamespaceIsItsFolder()
    {
        var core = Path.Combine(SpecFiles.RepoRoot(), "src", "Core");
        var wrong = new List<string>();
        int seen = 0;
        foreach (var file in Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories))
        {
            var folder = Path.GetRelativePath(core, Path.GetDirectoryName(file)!);
            if (folder.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj") continue;
            string expected = folder == "." ? "MnistCnn.Core" : "MnistCnn.Core." + folder.Replace(Path.DirectorySeparatorChar, '.');
            var declared = AnyNamespace().Matches(File.ReadAllText(file)).Select(m => m.Groups["name"].Value).ToList();
            seen++;
            if (declared.Count == 0 || declared.Any(n => n != expected)) wrong.Add($"{Path.GetRelativePath(core, file)}: {string.Join(", ", declared)} (expected {expected})");
        }
        Assert.True(seen > 50, $"Read only {seen} files under {core}; the scan is broken.");
        Assert.True(wrong.Count == 0, "Namespaces that differ from their folders:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void TheScanSeesTheKnownArrows()
    {
        var arrows = ReadArrows(Path.Combine(SpecFiles.RepoRoot(), "src", "Core"));
        Assert.Contains(("Runs", "Training"), arrows.Keys);
        Assert.Contains(("Models", "Data"), arrows.Keys);
        Assert.Contains(("Experiments", "Runs"), arrows.Keys);
        Assert.Contains(("Runs", "IO"), arrows.Keys); // IO.AtomicFile in RunLock, qualified from MnistCnn.Core
    }

    [Fact]
    public void FindsDirectAndLongerCycles()
    {
        Assert.Empty(FindCycles([("A", "B"), ("B", "C"), ("A", "C")]));
        Assert.Equal([["A", "B"]], FindCycles([("A", "B"), ("B", "A"), ("B", "C")]));
        Assert.Equal([["A", "B", "C"]], FindCycles([("A", "B"), ("B", "C"), ("C", "A"), ("C", "D")]));
    }

    [Fact]
    public void ReadsArrowsFromNamespacesAndQualifiedNames()
    {
        var folder = Directory.CreateTempSubdirectory("area-scan-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "Upper"));
            Directory.CreateDirectory(Path.Combine(folder, "obj"));
            File.WriteAllText(Path.Combine(folder, "Upper", "A.cs"), "using MnistCnn.Core.Lower;\nnamespace MnistCnn.Core.Upper;\nclass A {}");
            File.WriteAllText(Path.Combine(folder, "Upper", "B.cs"), "namespace MnistCnn.Core.Lower;\nclass B { MnistCnn.Core.Upper.A? a; }");
            File.WriteAllText(Path.Combine(folder, "obj", "G.cs"), "namespace MnistCnn.Core.Other;\nclass G { MnistCnn.Core.Upper.A? a; }");
            // Qualified from the parent namespace: Lower.B names a type of Lower; Upper.Length is no type of Upper.
            File.WriteAllText(Path.Combine(folder, "C.cs"), "namespace MnistCnn.Core.Side;\nclass C { Lower.B? b; int n = Upper.Length; }");
            var arrows = ReadArrows(folder);
            Assert.Equal([("Lower", "Upper"), ("Side", "Lower"), ("Upper", "Lower")], arrows.Keys.Order().ToList());
            Assert.Equal([["Lower", "Upper"]], FindCycles(arrows.Keys));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
