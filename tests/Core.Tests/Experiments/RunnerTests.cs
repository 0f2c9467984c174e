using System.Diagnostics;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Experiments.Running;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Experiments;

/// <summary>Runner behaviour with a fake training function: no libtorch, no data.</summary>
public sealed class RunnerTests : IDisposable
{
    private readonly SpecFiles files = new();
    private readonly List<TrialContext> calls = new();

    public void Dispose() => files.Dispose();

    private ExperimentPlan Sweep() => ExperimentPlan.Load(files.Write("sweep.yaml",
        "training: { epochs: 2 }",
        "sweep:",
        "  parameters:",
        "    training.learningRate: [0.1, 0.01, 0.001]"));

    /// <summary>Pretends to train: accuracy grows as the learning rate shrinks; fails or throws on request.</summary>
    private TrainingResult Fake(TrialContext context, CancellationToken token, Func<TrialContext, RunStatus>? status = null)
    {
        calls.Add(context);
        token.ThrowIfCancellationRequested();
        var s = status?.Invoke(context) ?? RunStatus.Finished;
        double lr = context.Options.EffectiveLearningRate;
        var now = DateTimeOffset.UtcNow;
        var epochs = Enumerable.Range(1, context.Options.Epochs).Select(e => new EpochResult(e, context.Options.Epochs, 0.5 / e, 0.9, null, null, lr, 1.5, 1000)).ToArray();
        return new TrainingResult
        {
            RunId = Guid.NewGuid().ToString("N"),
            RunName = context.RunName,
            Model = context.Trial.Spec.Model,
            Options = context.Options,
            Dataset = "Mnist",
            Epochs = epochs,
            Test = s == RunStatus.Finished ? new EvaluationResult(0.1, 0.9 - lr, 100, Array.Empty<int>(), Array.Empty<int>(), Array.Empty<float>()) : null,
            Status = s,
            Device = "cpu",
            StartTime = now,
            EndTime = now,
            OutputPath = context.Options.OutputPath,
            Error = s == RunStatus.Finished ? null : "fake failure",
        };
    }

    /// <summary>A <see cref="TrialRecords"/> that counts how often each file is read.</summary>
    private static TrialRecords Counting(Dictionary<string, int> reads) => new(path =>
    {
        reads[path] = reads.GetValueOrDefault(path) + 1;
        return File.Exists(path) ? File.ReadAllText(path) : null;
    });

    [Fact]
    public void EachTrialsFilesAreReadOnceFromItsDescriptionToItsRun()
    {
        var plan = Sweep();
        new ExperimentRunner((c, t) => Fake(c, t)).RunTrial(plan, plan.Trials[0]);
        string finishedResult = Path.Combine(plan.Trials[0].OutputPath, MnistCnn.Core.Runs.RunFiles.Result);
        File.WriteAllText(finishedResult, """{ "status": "FINISHED" }""");
        calls.Clear();

        var reads = new Dictionary<string, int>();
        var records = Counting(reads);
        // What -WhatIf and -Confirm show: the description reads each trial's folder.
        var described = plan.Trials.Select(t => ExperimentRunner.Describe(t, force: false, records)).ToList();
        Assert.Contains("[finished: skipped unless -Force]", described[0]);
        Assert.DoesNotContain("[finished", described[1]);
        var results = new ExperimentRunner((c, t) => Fake(c, t)).Run(plan, options: new ExperimentRunOptions { Records = records });

        Assert.True(results[0].Skipped);
        Assert.Equal(new[] { 1, 2 }, calls.Select(c => c.Trial.Index));
        var records0 = plan.Trials.Select(t => Path.Combine(t.OutputPath, ExperimentRecordFile.FileName));
        Assert.All(records0, path => Assert.Equal(1, reads.GetValueOrDefault(path)));
        Assert.Equal(1, reads[finishedResult]);
        Assert.Equal(4, reads.Values.Sum());
    }

    [Fact]
    public void ATrialFolderThatChangedSinceItsDescriptionIsReadAgainUnderTheLock()
    {
        var plan = Sweep();
        var reads = new Dictionary<string, int>();
        var records = Counting(reads);
        Assert.DoesNotContain("[finished", ExperimentRunner.Describe(plan.Trials[0], force: false, records));
        // Another process finishes the trial between the description and the run.
        new ExperimentRunner((c, t) => Fake(c, t)).RunTrial(plan, plan.Trials[0]);
        calls.Clear();

        var result = new ExperimentRunner((c, t) => Fake(c, t)).RunTrial(plan, plan.Trials[0], new ExperimentRunOptions { Records = records });
        Assert.True(result.Skipped);
        Assert.Empty(calls);
        Assert.Equal(2, reads[Path.Combine(plan.Trials[0].OutputPath, ExperimentRecordFile.FileName)]);
    }

    [Fact]
    public void RunsEveryTrialInItsOwnFolderWithSpecAndRecord()
    {
        var plan = Sweep();
        var runner = new ExperimentRunner((c, t) => Fake(c, t));
        var results = runner.Run(plan);

        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.Equal(RunStatus.Finished, r.Status));
        Assert.Equal(new[] { 0.1, 0.01, 0.001 }, calls.Select(c => c.Options.LearningRate!.Value));
        Assert.Equal(0.899, results.Max()!.TestAccuracy!.Value, 6);
        Assert.Equal(2, results.OrderBy(r => r).Last().TrialIndex);
        foreach (var (trial, call) in plan.Trials.Zip(calls))
        {
            Assert.Equal(trial.OutputPath, call.Options.OutputPath);
            Assert.Equal($"sweep/{trial.Id}", call.RunName);
            Assert.Null(call.ResumeFrom);
            string spec = File.ReadAllText(Path.Combine(trial.OutputPath, "spec.yaml"));
            Assert.EndsWith(trial.ResolvedYaml, spec, StringComparison.Ordinal);
            var again = ExperimentPlan.Load(Path.Combine(trial.OutputPath, "spec.yaml")).Trials[0];
            Assert.Equal(trial.Spec.Training, again.Spec.Training);
            var record = JsonNode.Parse(File.ReadAllText(Path.Combine(trial.OutputPath, "experiment.json")))!;
            Assert.Equal("FINISHED", (string?)record["status"]);
            Assert.Equal(trial.SpecHash, (string?)record["spec"]!["hash"]);
            Assert.Equal(plan.SpecPath, (string?)record["spec"]!["path"]);
            Assert.Equal(trial.Index, (int?)record["trial"]!["index"]);
            Assert.Equal(trial.Spec.Training.LearningRate, (double?)record["trial"]!["settings"]!["training.learningRate"]);
        }
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(plan.OutputPath, "summary.json")))!;
        Assert.Equal(3, summary["trials"]!.AsArray().Count);
        Assert.All(summary["trials"]!.AsArray(), t => Assert.Equal("FINISHED", (string?)t!["status"]));
    }

    [Fact]
    public void FinishedTrialsAreSkippedUnlessForced()
    {
        var plan = Sweep();
        var runner = new ExperimentRunner((c, t) => Fake(c, t));
        var first = runner.RunTrial(plan, ExperimentRunner.TrialAt(plan, 1));
        Assert.False(first.Skipped);
        Assert.Single(calls);

        var again = runner.RunTrial(plan, ExperimentRunner.TrialAt(plan, 1));
        Assert.True(again.Skipped);
        Assert.Equal(first.TestAccuracy, again.TestAccuracy);
        Assert.Single(calls);

        var forced = runner.RunTrial(plan, ExperimentRunner.TrialAt(plan, 1), new ExperimentRunOptions { Force = true });
        Assert.False(forced.Skipped);
        Assert.Equal(2, calls.Count);
        Assert.Single(Directory.GetDirectories(plan.OutputPath, "*.replaced-*"));
    }

    [Fact]
    public void ASecondAttemptOfATrialRunningElsewhereIsReportedRunningAndTouchesNothing()
    {
        var plan = Sweep();
        var trial = plan.Trials[0];
        // The first attempt holds the trial folder's lock (as a live worker or another machine's scheduler retry would).
        using (var live = MnistCnn.Core.Runs.RunLock.Acquire(trial.OutputPath, "trial 0 of sweep"))
        {
            var runner = new ExperimentRunner((c, t) => Fake(c, t));
            var second = runner.RunTrial(plan, trial);
            Assert.Equal(RunStatus.Running, second.Status);
            Assert.Contains("RunFolderInUse", RunsErrorIds.RunFolderInUse);
            Assert.Contains($"process {Environment.ProcessId}", second.Error);
            Assert.Empty(calls);
            Assert.Null(ExperimentRecordFile.ReadResult(trial));

            var workers = 0;
            var fanned = new WorkerProcessTrials((t, threads) => { workers++; return new ProcessStartInfo("false"); }, 2).Run(plan, [0]);
            Assert.Equal(RunStatus.Running, Assert.Single(fanned).Status);
            Assert.Equal(0, workers);
        }
        var after = new ExperimentRunner((c, t) => Fake(c, t)).RunTrial(plan, trial);
        Assert.Equal(RunStatus.Finished, after.Status);
        Assert.Single(calls);
    }

    [Fact]
    public void AnInterruptedSweepResumesWithoutRedoingFinishedTrials()
    {
        var plan = Sweep();
        using var cts = new CancellationTokenSource();
        var runner = new ExperimentRunner((c, t) =>
        {
            if (c.Trial.Index == 1)
            {
                // Simulate an interruption after the first epoch's checkpoint.
                Directory.CreateDirectory(Path.Combine(c.Options.OutputPath!, MnistCnn.Core.Runs.RunFiles.Checkpoint));
                cts.Cancel();
                throw new OperationCanceledException(cts.Token);
            }
            return Fake(c, t);
        });
        Assert.Throws<OperationCanceledException>(() => runner.Run(plan, null, null, cts.Token));
        Assert.Equal(RunStatus.Killed, ExperimentRecordFile.ReadResult(plan.Trials[1])!.Status);
        Assert.Null(ExperimentRecordFile.ReadResult(plan.Trials[2]));

        calls.Clear();
        var resumed = new ExperimentRunner((c, t) => Fake(c, t)).Run(plan);
        Assert.Equal(new[] { 1, 2 }, calls.Select(c => c.Trial.Index));
        Assert.Equal(plan.Trials[1].OutputPath, calls[0].ResumeFrom);
        Assert.Null(calls[1].ResumeFrom);
        Assert.True(resumed[0].Skipped);
        Assert.True(resumed[1].Resumed);
        Assert.All(resumed, r => Assert.Equal(RunStatus.Finished, r.Status));
    }

    [Fact]
    public void ChangingTheSpecRunsTheTrialAgainAndKeepsTheOldFolder()
    {
        var plan = Sweep();
        new ExperimentRunner((c, t) => Fake(c, t)).RunTrial(plan, plan.Trials[0]);
        var changed = ExperimentPlan.Load(files.Write("sweep.yaml",
            "training: { epochs: 3 }",
            "sweep:",
            "  parameters:",
            "    training.learningRate: [0.1, 0.01, 0.001]"));
        Assert.Equal(plan.Trials[0].OutputPath, changed.Trials[0].OutputPath);
        Assert.NotEqual(plan.Trials[0].SpecHash, changed.Trials[0].SpecHash);
        var result = new ExperimentRunner((c, t) => Fake(c, t)).RunTrial(changed, changed.Trials[0]);
        Assert.False(result.Skipped);
        Assert.Equal(3, result.EpochsCompleted);
        Assert.Equal(2, calls.Count);
        Assert.Single(Directory.GetDirectories(changed.OutputPath, "*.replaced-*"));
    }

    [Fact]
    public void FailedTrialsAreRecordedAndRunAgainNextTime()
    {
        var plan = Sweep();
        var results = new ExperimentRunner((c, t) => c.Trial.Index == 0 ? throw new InvalidOperationException("boom") : Fake(c, t, _ => RunStatus.Failed)).Run(plan);
        Assert.Equal("boom", results[0].Error);
        Assert.All(results, r => Assert.Equal(RunStatus.Failed, r.Status));
        Assert.Equal("FAILED", (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(plan.Trials[0].OutputPath, "experiment.json")))!["status"]);
        calls.Clear();
        new ExperimentRunner((c, t) => Fake(c, t)).Run(plan);
        Assert.Equal(3, calls.Count);
    }

    [Fact]
    public void TrialIndexOutsideTheSweepIsAClearError()
    {
        var ex = Assert.Throws<MnistCnnException>(() => ExperimentRunner.TrialAt(Sweep(), 3));
        Assert.Equal("TrialIndexOutOfRange", ex.ErrorId);
        Assert.Contains("has 3 trials (indexes 0 to 2)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RunningOneIndexRunsOnlyThatTrial()
    {
        var plan = Sweep();
        var results = new ExperimentRunner((c, t) => Fake(c, t)).Run(plan, new[] { 2 }, new ExperimentRunOptions { Threads = 3 });
        Assert.Equal(2, Assert.Single(results).TrialIndex);
        Assert.Equal(0.001, Assert.Single(calls).Options.LearningRate);
        Assert.Equal(3, calls[0].Options.Threads);
        Assert.Null(ExperimentRecordFile.ReadResult(plan.Trials[0]));
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(plan.OutputPath, "summary.json")))!["trials"]!.AsArray();
        Assert.Equal(new[] { "PENDING", "PENDING", "FINISHED" }, summary.Select(t => (string?)t!["status"]));
    }
}

public class SchedulerIndexTests
{
    private static SchedulerIndex.Found? From(params (string Name, string Value)[] vars) =>
        SchedulerIndex.FromEnvironment(name => vars.FirstOrDefault(v => v.Name == name).Value);

    [Fact]
    public void NoVariableMeansNoIndex() => Assert.Null(From());

    [Fact]
    public void KubernetesIndexedJob() => Assert.Equal(new SchedulerIndex.Found(4, "JOB_COMPLETION_INDEX", "JOB_COMPLETION_INDEX=4"), From(("JOB_COMPLETION_INDEX", "4")));

    [Fact]
    public void SlurmArrayIsOffsetByItsMinimum()
    {
        Assert.Equal(2, From(("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "1"))!.Index);
        Assert.Equal(3, From(("SLURM_ARRAY_TASK_ID", "3"))!.Index);
        // Messages name the variables and their values.
        Assert.Equal("SLURM_ARRAY_TASK_ID=3 - SLURM_ARRAY_TASK_MIN=1", From(("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "1"))!.Describe);
    }

    [Fact]
    public void OwnVariableWinsOverSchedulers() =>
        Assert.Equal(new SchedulerIndex.Found(1, "MNISTCNN_TRIAL_INDEX", "MNISTCNN_TRIAL_INDEX=1"), From(("MNISTCNN_TRIAL_INDEX", "1"), ("JOB_COMPLETION_INDEX", "5")));

    [Fact]
    public void GridEngineIsOneBased() => Assert.Equal(0, From(("SGE_TASK_ID", "1"))!.Index);

    [Theory]
    [InlineData("JOB_COMPLETION_INDEX", "x")]
    [InlineData("MNISTCNN_TRIAL_INDEX", "-1")]
    public void GarbageIsAClearError(string name, string value)
    {
        var ex = Assert.Throws<MnistCnnException>(() => From((name, value)));
        Assert.Equal("SchedulerIndexInvalid", ex.ErrorId);
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SlurmIndexBelowItsMinimumIsAnError() =>
        Assert.Equal("SchedulerIndexInvalid", Assert.Throws<MnistCnnException>(() => From(("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_MIN", "1"))).ErrorId);
}
