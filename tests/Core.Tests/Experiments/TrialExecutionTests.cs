using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Experiments;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Experiments;

/// <summary>The out-of-process trials' worker command and the trials' tracking policy, both in Core.</summary>
public sealed class TrialExecutionTests : IDisposable
{
    private readonly SpecFiles files = new();

    public void Dispose() => files.Dispose();

    private ExperimentPlan Sweep(string file, string threads = "") => ExperimentPlan.Load(files.Write(file,
        "name: quoted",
        $"training: {{ epochs: 1{threads} }}",
        "sweep:",
        "  parameters:",
        "    training.learningRate: [0.1, 0.01]"));

    [Fact]
    public void TheWorkerImportsTheModuleAndRunsItsTrialByIndex_PathsQuotedForPowerShell()
    {
        var plan = Sweep("o'brien/it's.yaml");
        var command = new WorkerCommand("/opt/o'brien/MnistCnn.psd1", files.Root);
        string script = command.Script(plan.Trials[1], 4, new ExperimentRunOptions());
        Assert.Contains("Import-Module '/opt/o''brien/MnistCnn.psd1';", script, StringComparison.Ordinal);
        Assert.Contains($"Invoke-CnnExperiment -Path '{plan.Trials[1].Spec.SourcePath.Replace("'", "''", StringComparison.Ordinal)}' -TrialIndex 1 -Threads 4 -InformationAction Continue", script, StringComparison.Ordinal);
        Assert.Contains("o''brien", script, StringComparison.Ordinal);
        Assert.DoesNotContain("-Force", script, StringComparison.Ordinal);
        Assert.StartsWith("$ErrorActionPreference = 'Stop';", script, StringComparison.Ordinal);

        var info = command.For(plan.Trials[1], 4, new ExperimentRunOptions());
        Assert.Equal(new[] { "-NoProfile", "-NonInteractive", "-Command", script }, info.ArgumentList.TakeLast(4));
        Assert.Equal(files.Root, info.WorkingDirectory);
        Assert.False(string.IsNullOrEmpty(info.FileName));
    }

    [Fact]
    public void WorkerThreads_TheOverrideThenTheSpecThenTheShare_AndForceIsPassedOn()
    {
        var command = new WorkerCommand("/m/MnistCnn.psd1", files.Root);
        var plain = Sweep("plain.yaml").Trials[0];
        var withThreads = Sweep("threads.yaml", ", threads: 2").Trials[0];
        Assert.Contains("-Threads 5 -InformationAction", command.Script(plain, 5, new ExperimentRunOptions()), StringComparison.Ordinal);
        Assert.Contains("-Threads 2 -InformationAction", command.Script(withThreads, 5, new ExperimentRunOptions()), StringComparison.Ordinal);
        Assert.Contains("-Threads 3 -Force -InformationAction", command.Script(withThreads, 5, new ExperimentRunOptions { Threads = 3, Force = true }), StringComparison.Ordinal);
    }

    [Fact]
    public void TrackingSettings_ComeFromTheSpecsTrackingSection()
    {
        var spec = ExperimentPlan.Load(files.Write("tracked.yaml",
            "name: tracked",
            "tracking:",
            "  experiment: vision",
            "  tags: { owner: me }")).Trials[0].Spec;
        var settings = TrialTracking.Settings(spec, NullReporter.Instance);
        Assert.Equal("vision", settings.Experiment);
        Assert.Equal("me", settings.Tags["owner"]);

        // Without tracking.experiment: MLFLOW_EXPERIMENT_NAME when set, else the spec's name.
        var plain = ExperimentPlan.Load(files.Write("plain.yaml", "name: plain-spec")).Trials[0].Spec;
        string? fromEnvironment = Environment.GetEnvironmentVariable("MLFLOW_EXPERIMENT_NAME");
        Assert.Equal(string.IsNullOrEmpty(fromEnvironment) ? "plain-spec" : fromEnvironment, TrialTracking.Settings(plain, NullReporter.Instance).Experiment);
        Assert.Empty(TrialTracking.Settings(plain, NullReporter.Instance).Tags);
    }

    [Fact]
    public void BothWaysOfRunningTrialsAreOneInterface()
    {
        var plan = Sweep("both.yaml");
        ITrialExecutor inProcess = new ExperimentRunner((c, _) => throw new InvalidOperationException("boom"));
        ITrialExecutor workers = new WorkerProcessTrials(new WorkerCommand("/m/MnistCnn.psd1", files.Root), 2);
        var failed = inProcess.Run(plan, [0]);
        Assert.Equal(RunStatus.Failed, Assert.Single(failed).Status);
        Assert.Equal("boom", failed[0].Error);
        Assert.Throws<MnistCnnException>(() => workers.Run(plan, [7]));
    }
}
