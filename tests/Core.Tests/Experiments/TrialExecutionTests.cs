using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Experiments;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Experiments.Running;
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
        string trialFile = TrialFile.Write(plan, plan.Trials[1], Path.Combine(files.Root, "o'brien", "trials"));
        string script = command.Script(trialFile, plan.Trials[1], 4, new ExperimentRunOptions());
        Assert.Contains("Import-Module '/opt/o''brien/MnistCnn.psd1';", script, StringComparison.Ordinal);
        // The worker gets its resolved trial, not the spec.
        Assert.Contains($"Invoke-CnnExperiment -Path '{trialFile.Replace("'", "''", StringComparison.Ordinal)}' -Threads 4 -InformationAction Continue", script, StringComparison.Ordinal);
        Assert.EndsWith("trial-1.trial.json", trialFile, StringComparison.Ordinal);
        Assert.DoesNotContain("it''s.yaml", script, StringComparison.Ordinal);
        Assert.DoesNotContain("-Force", script, StringComparison.Ordinal);
        Assert.StartsWith("$ErrorActionPreference = 'Stop';", script, StringComparison.Ordinal);

        var info = command.For(trialFile, plan.Trials[1], 4, new ExperimentRunOptions());
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
        Assert.Contains("-Threads 5 -InformationAction", command.Script("t.trial.json", plain, 5, new ExperimentRunOptions()), StringComparison.Ordinal);
        Assert.Contains("-Threads 2 -InformationAction", command.Script("t.trial.json", withThreads, 5, new ExperimentRunOptions()), StringComparison.Ordinal);
        Assert.Contains("-Threads 3 -Force -InformationAction", command.Script("t.trial.json", withThreads, 5, new ExperimentRunOptions { Threads = 3, Force = true }), StringComparison.Ordinal);
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

    private ExperimentPlan Mixed() => ExperimentPlan.Load(files.Write("mixed.yaml",
        "name: mixed",
        "training: { epochs: 1, batchSize: 32 }",
        "sweep:",
        "  parameters:",
        "    training.learningRate: [0.1, 0.001]",
        "    training.optimizer: [adam, sgd]",
        "    training.batchSize: [16, 64]",
        "    training.shuffle: [false]"));

    [Fact]
    public void ATrialFileGivesTheWorkerItsResolvedTrial_WithoutReadingTheSpecAgain()
    {
        var plan = Mixed();
        var trial = plan.Trials[5];
        string file = TrialFile.Write(plan, trial, Path.Combine(files.Root, "trials"));
        // The worker must not depend on the spec: change it after the parent resolved the trials.
        File.WriteAllText(plan.SpecPath, "name: [broken");

        var part = TrialFile.LoadPlan(file);
        Assert.True(part.IsPart);
        Assert.False(plan.IsPart);
        var again = Assert.Single(part.Trials);
        Assert.Equal((trial.Index, trial.Count, trial.Id, trial.Name, trial.SpecHash, trial.OutputPath), (again.Index, again.Count, again.Id, again.Name, again.SpecHash, again.OutputPath));
        Assert.Equal(trial.ResolvedYaml, again.ResolvedYaml);
        Assert.Equal(trial.Settings, again.Settings);
        Assert.Equal(trial.Settings.Values.Select(v => v?.GetType()), again.Settings.Values.Select(v => v?.GetType()));
        Assert.Equal(trial.Spec.Training, again.Spec.Training);
        Assert.Equal(trial.Spec.SourcePath, again.Spec.SourcePath);
        Assert.Equal((plan.SpecPath, plan.Method, plan.SweepId, plan.Name, plan.OutputPath), (part.SpecPath, part.Method, part.SweepId, part.Name, part.OutputPath));
        Assert.Equal(plan.Files, part.Files);
    }

    [Fact]
    public void AWorkersPartRecordsItsTrialForTheWholePlan_AndLeavesTheSummaryToItsParent()
    {
        var plan = Mixed();
        var part = TrialFile.Read(TrialFile.Write(plan, plan.Trials[2], Path.Combine(files.Root, "trials")));
        var result = Assert.Single(new ExperimentRunner((c, _) => Trained(c)).Run(part));
        Assert.Equal((RunStatus.Finished, 2), (result.Status, result.TrialIndex));
        Assert.False(File.Exists(Path.Combine(plan.OutputPath, ExperimentRecordFile.SummaryFileName)));
        // The parent's plan sees the trial finished with the same spec, so it would skip it.
        Assert.NotNull(ExperimentRunner.FinishedResult(plan.Trials[2]));
        Assert.Null(ExperimentRunner.FinishedResult(plan.Trials[1]));
        ExperimentRunner.WriteSummary(plan);
        Assert.True(File.Exists(Path.Combine(plan.OutputPath, ExperimentRecordFile.SummaryFileName)));
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1, 2]", "does not hold a JSON object")]
    [InlineData("{\"format\": \"other\"}", "format is not")]
    [InlineData("index", "trial index 9 is not one of 8 trials")]
    [InlineData("yaml", "resolved spec does not bind")]
    [InlineData("setting", "unknown type 'date'")]
    public void ABrokenTrialFileIsTrialFileInvalid(string content, string why)
    {
        var plan = Mixed();
        string good = TrialFile.Write(plan, plan.Trials[0], Path.Combine(files.Root, "trials"));
        var json = JsonNode.Parse(File.ReadAllText(good))!.AsObject();
        switch (content)
        {
            case "index": json["index"] = 9; content = json.ToJsonString(); break;
            case "yaml": json["resolvedYaml"] = "name: x\ntraining: { epochs: -3 }\n"; content = json.ToJsonString(); break;
            case "setting": json["settings"]![0]!["type"] = "date"; content = json.ToJsonString(); break;
        }
        string bad = files.Write("bad.trial.json", content);
        var ex = Assert.Throws<MnistCnnException>(() => TrialFile.LoadPlan(bad));
        Assert.Equal(ExperimentsErrorIds.TrialFileInvalid, ex.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, ex.Kind);
        Assert.Contains(why, ex.Message, StringComparison.Ordinal);
        Assert.Contains("run the spec itself instead", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingTrialFileIsTrialFileInvalidNotFound()
    {
        var ex = Assert.Throws<MnistCnnException>(() => TrialFile.LoadPlan(Path.Combine(files.Root, "gone.trial.json")));
        Assert.Equal((ExperimentsErrorIds.TrialFileInvalid, ErrorKind.ObjectNotFound), (ex.ErrorId, ex.Kind));
    }

    [Fact]
    public void WhatIfDescribesEachTrial_AndTheFailedErrorNamesItsFolder()
    {
        var plan = Mixed();
        var trial = plan.Trials[2];
        string text = ExperimentRunner.Describe(trial, force: false);
        Assert.Equal($"mixed trial 2 of 8 '{trial.Id}' {trial.Name} -> {trial.OutputPath}", text);
        new ExperimentRunner((c, _) => Trained(c)).RunTrial(plan, trial);
        Assert.EndsWith(" [finished: skipped unless -Force]", ExperimentRunner.Describe(trial, force: false), StringComparison.Ordinal);
        Assert.Equal(text, ExperimentRunner.Describe(trial, force: true));

        var failed = new ExperimentRunner((_, _) => throw new InvalidOperationException("out of memory on the card")).RunTrial(plan, plan.Trials[3]);
        var error = ExperimentRunner.TrialFailed(failed);
        Assert.Equal(("TrialFailed", ErrorKind.InvalidOperation, plan.Trials[3].Id), (error.ErrorId, error.Kind, error.Target));
        Assert.Contains($"Trial 3 ({plan.Trials[3].Id}) of 'mixed' ended Failed: out of memory on the card Its run folder is {plan.Trials[3].OutputPath}", error.Message, StringComparison.Ordinal);
    }

    private static TrainingResult Trained(TrialContext context)
    {
        var now = DateTimeOffset.UtcNow;
        return new TrainingResult
        {
            RunId = Guid.NewGuid().ToString("N"), RunName = context.RunName, Model = context.Trial.Spec.Model, Options = context.Options, Dataset = "Mnist",
            Epochs = [new EpochResult(1, 1, 0.5, 0.9, null, null, 0.1, 1.5, 1000)],
            Test = new EvaluationResult(0.1, 0.9, 100, [], [], []), Status = RunStatus.Finished, Device = "cpu", StartTime = now, EndTime = now,
            OutputPath = context.Options.OutputPath,
        };
    }
}
