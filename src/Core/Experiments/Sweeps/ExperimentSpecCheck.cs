using MnistCnn.Core.Experiments.Spec;

namespace MnistCnn.Core.Experiments.Sweeps;

/// <summary>What Test-CnnExperiment reports for one spec file: valid or not, its trials, and every problem.</summary>
public sealed class ExperimentSpecCheck
{
    public ExperimentSpecCheck(string path, ExperimentPlan? plan, IReadOnlyList<SpecDiagnostic> diagnostics, IReadOnlyList<string> files)
    {
        Path = path;
        Plan = plan;
        Diagnostics = diagnostics;
        Files = files;
    }

    public static ExperimentSpecCheck Run(string path)
    {
        var plan = ExperimentPlan.Check(path, out var diagnostics, out var files);
        return new ExperimentSpecCheck(System.IO.Path.GetFullPath(path), plan, diagnostics, files);
    }

    public string Path { get; }
    public string? Name => Plan?.Name;
    public bool IsValid => Plan is not null;
    public int TrialCount => Plan?.Trials.Count ?? 0;
    public string? Method => Plan?.Method;
    public IReadOnlyList<ExperimentTrial> Trials => Plan?.Trials ?? Array.Empty<ExperimentTrial>();
    /// <summary>The spec and every file it extends (those read before any problem stopped the reading).</summary>
    public IReadOnlyList<string> Files { get; }
    /// <summary>Every problem, in file order; print one to get the canonical <c>file(line,col): error MNCxxxx: message</c> line.</summary>
    public IReadOnlyList<SpecDiagnostic> Diagnostics { get; }
    public ExperimentPlan? Plan { get; }

    public override string ToString() => IsValid
        ? $"{Path}: valid, {TrialCount} trial{(TrialCount == 1 ? "" : "s")}"
        : $"{Path}: {Diagnostics.Count} problem{(Diagnostics.Count == 1 ? "" : "s")}";
}
