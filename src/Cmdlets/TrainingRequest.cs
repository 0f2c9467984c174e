using System.Globalization;
using System.Management.Automation;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Reporting;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Tracking;
using MnistCnn.Core.Training;

namespace MnistCnn.Cmdlets;

/// <summary>
/// What Start-CnnTraining's parameters ask for, bound once: the data and model, the run's name and folder, the
/// <see cref="TrainingOptions"/> (parameters, then <c>-Options</c>, validated), the tags and, on a resume, the settings
/// the user stated. Throws <see cref="MnistCnnException"/> for bad input; nothing is written.
/// </summary>
internal sealed record TrainingRequest(
    MnistDataset Data,
    ModelSpec Spec,
    string RunName,
    string OutputPath,
    bool Resume,
    TrainingOptions Options,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlySet<string>? GivenOnResume)
{
    /// <summary>What ShouldProcess names as the target.</summary>
    public string Target => $"{Spec.Name} on {Data.Name} ({Options.Epochs} epochs, writing {OutputPath})";

    public static TrainingRequest Bind(StartCnnTrainingCommand cmdlet, bool resume)
    {
        var data = cmdlet.Dataset ?? cmdlet.Model?.Dataset
            ?? throw new MnistCnnException(CmdletErrorIds.DatasetRequired, ErrorKind.InvalidArgument,
                "No dataset to train on. Pipe one in (Import-MnistData | New-CnnModel | Start-CnnTraining) or pass -Dataset.");
        var spec = cmdlet.Model?.Spec ?? ModelPresets.Create(ModelPresets.KerasSeed, data.InputShape, data.Classes);
        var paths = cmdlet.SessionState.Path;
        string runName = cmdlet.RunName ?? RunFiles.DefaultRunName(spec.Name, DateTimeOffset.UtcNow);
        string output = resume
            ? RunFiles.RunFolderOf(paths.GetUnresolvedProviderPathFromPSPath(cmdlet.ResumeFrom))
            : paths.GetUnresolvedProviderPathFromPSPath(cmdlet.OutputPath ?? RunFiles.NewRunFolder(paths.CurrentFileSystemLocation.ProviderPath, runName));
        var tags = TagBinder.Bind(cmdlet.Tag);
        var options = OptionsBinder.Apply(new TrainingOptions
        {
            Epochs = cmdlet.Epochs,
            BatchSize = cmdlet.BatchSize,
            Optimizer = cmdlet.Optimizer,
            LearningRate = cmdlet.LearningRate,
            Schedule = cmdlet.Schedule,
            ValidationSplit = cmdlet.ValidationSplit,
            EarlyStoppingPatience = cmdlet.EarlyStoppingPatience,
            Seed = cmdlet.Seed,
            Device = cmdlet.Device,
            Threads = cmdlet.Threads,
            OutputPath = output,
            Report = !cmdlet.NoReport,
            Augmentation = cmdlet.Augment ? AugmentationOptions.Default : null,
        }, cmdlet.Options);
        return new TrainingRequest(data, spec, runName, output, resume, options, tags, resume ? GivenSettings(cmdlet) : null);
    }

    /// <summary>The observers of the run: epoch lines, the report, the tracker and the -OnEpochEnd script.</summary>
    public List<ITrainingObserver> Observers(PipelineReporter pump, RunTracker tracker, ScriptBlock? onEpochEnd)
    {
        var observers = new List<ITrainingObserver> { EpochLines.ForRun(pump), new RunReportObserver(Data.Test, Data.ClassNames, pump), tracker };
        if (onEpochEnd is not null) observers.Add(new EpochScript(pump, onEpochEnd));
        return observers;
    }

    /// <summary>Trains as asked: a new run named <see cref="RunName"/>, or the resumed run in <see cref="OutputPath"/>.</summary>
    /// <param name="reporter">Where progress and messages go.</param>
    /// <param name="observers">The epoch listeners.</param>
    /// <param name="token">Stops the run (checkpoint kept).</param>
    /// <param name="folderLock">A new run's folder, already claimed (<see cref="RunFolder.ClaimForNewRun"/>); null on a resume.</param>
    public TrainingResult Train(IReporter reporter, IEnumerable<ITrainingObserver> observers, CancellationToken token, RunLock? folderLock = null) =>
        new Trainer(reporter).Train(Spec, Data, Options, observers, token,
            Resume ? null : RunName, Resume ? OutputPath : null, folderLock, GivenOnResume);

    /// <summary>The settings stated on this resume (TrainingOptions names); the rest come from the checkpoint.</summary>
    private static HashSet<string> GivenSettings(StartCnnTrainingCommand cmdlet)
    {
        // -Options keys bind case-insensitively, so they are compared that way too.
        var given = new HashSet<string>(cmdlet.MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
        if (given.Contains(nameof(StartCnnTrainingCommand.Augment))) given.Add(nameof(TrainingOptions.Augmentation));
        if (cmdlet.Options is not null)
        {
            foreach (var key in cmdlet.Options.Keys) given.Add(Convert.ToString(key, CultureInfo.InvariantCulture) ?? "");
        }
        return given;
    }
}
