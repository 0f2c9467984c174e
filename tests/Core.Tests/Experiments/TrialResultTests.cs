using System.Reflection;
using MnistCnn.Core.Experiments.Running;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Experiments;

/// <summary>
/// A trial's result is made in one place from the trial (its identity) and read back from experiment.json whole; a
/// skipped trial's result is the earlier one with Skipped set. Checked over every public property, so a property added
/// later cannot be forgotten by one of them.
/// </summary>
public sealed class TrialResultTests : IDisposable
{
    private readonly SpecFiles files = new();

    public void Dispose() => files.Dispose();

    private static readonly PropertyInfo[] Properties = typeof(ExperimentTrialResult).GetProperties(BindingFlags.Public | BindingFlags.Instance);

    private static object? Value(PropertyInfo p, ExperimentTrialResult r) => p.GetValue(r) switch
    {
        IReadOnlyDictionary<string, object?> d => string.Join(";", d.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture)}")),
        var v => v,
    };

    private (ExperimentPlan Plan, ExperimentTrial Trial, ExperimentTrialResult Result) Finished()
    {
        var plan = ExperimentPlan.Load(files.Write("trials.yaml", "name: trials", "training: { epochs: 2 }", "sweep:", "  parameters:", "    training.learningRate: [0.1, 0.01]"));
        var trial = plan.Trials[1];
        var start = DateTimeOffset.Parse("2026-11-26T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var training = new TrainingResult
        {
            RunId = "run-1", RunName = "trials/" + trial.Id, Model = ModelPresets.Create(ModelPresets.KerasSeed, MnistCnn.Core.Data.InputShape.Mnist, 10),
            Options = new TrainingOptions(), Dataset = "Mnist", Status = RunStatus.Finished, Device = "cpu", StartTime = start, EndTime = start.AddMinutes(1),
            Epochs = [new EpochResult(1, 2, 0.5, 0.8, 0.6, 0.75, 0.01, 3, 100), new EpochResult(2, 2, 0.4, 0.85, 0.5, 0.8, 0.01, 3, 100)],
            Test = new EvaluationResult(0.3, 0.9, 10, [], [], []),
        };
        return (plan, trial, ExperimentRunner.Result(trial, RunStatus.Finished, training, start, null, resumed: true));
    }

    [Fact]
    public void TheRecordReadBackEqualsTheResultWrittenInEveryProperty()
    {
        var (plan, trial, result) = Finished();
        Assert.Equal(trial.Id, result.TrialId);
        Assert.Equal(trial.SpecHash, result.SpecHash);
        Assert.Equal(trial.OutputPath, result.OutputPath);
        ExperimentRecordFile.Write(trial.OutputPath, ExperimentRecordFile.ToJson(plan, trial, result));
        var read = ExperimentRecordFile.ReadResult(trial)!;
        foreach (var p in Properties.Where(p => p.Name is not nameof(ExperimentTrialResult.StartTime) and not nameof(ExperimentTrialResult.EndTime) and not nameof(ExperimentTrialResult.Duration)))
        {
            Assert.True(Equals(Value(p, result), Value(p, read)), $"{p.Name}: written {Value(p, result)}, read back {Value(p, read)}");
        }
        Assert.Equal(result.StartTime!.Value.ToUnixTimeSeconds(), read.StartTime!.Value.ToUnixTimeSeconds());
        Assert.Equal(result.EndTime!.Value.ToUnixTimeSeconds(), read.EndTime!.Value.ToUnixTimeSeconds());
    }

    [Fact]
    public void ASkippedTrialIsTheEarlierResultWithSkippedSet()
    {
        var (_, _, result) = Finished();
        var skipped = result.AsSkipped();
        Assert.NotSame(result, skipped);
        Assert.True(skipped.Skipped);
        Assert.False(result.Skipped);
        foreach (var p in Properties.Where(p => p.Name != nameof(ExperimentTrialResult.Skipped)))
        {
            Assert.True(Equals(Value(p, result), Value(p, skipped)), $"{p.Name}: {Value(p, result)} became {Value(p, skipped)}");
        }
    }
}
