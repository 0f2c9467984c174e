using MnistCnn.Core.Experiments.Spec;
using MnistCnn.Core.Experiments.Sweeps;

namespace MnistCnn.TestKit;

/// <summary>A temporary folder of spec files for one test; deleted afterwards.</summary>
internal sealed class SpecFiles : IDisposable
{
    public SpecFiles()
    {
        Root = Path.Combine(Path.GetTempPath(), "mnistcnn-exp-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Writes a file (lines joined with \n, so line numbers in tests are exact) and returns its full path.</summary>
    public string Write(string name, params string[] lines)
    {
        string path = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    public static IReadOnlyList<SpecDiagnostic> Problems(string path)
    {
        var plan = ExperimentPlan.Check(path, out var diagnostics, out _);
        Assert.Null(plan);
        Assert.NotEmpty(diagnostics);
        return diagnostics;
    }

    /// <summary>The one diagnostic with the code; fails listing them all otherwise.</summary>
    public static SpecDiagnostic Single(IReadOnlyList<SpecDiagnostic> diagnostics, string code)
    {
        var matching = diagnostics.Where(d => d.Code == code).ToList();
        Assert.True(matching.Count == 1, $"expected one {code}, got:\n{string.Join("\n", diagnostics)}");
        return matching[0];
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Toolkit.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Toolkit.sln not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
