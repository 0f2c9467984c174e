using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Cmdlets;

/// <summary>
/// The stable ErrorIds of records the cmdlets make themselves (not from a Core <see cref="MnistCnnException"/> raised in
/// an area); tests and scripts match on them, so never rename one. docs/error-ids.md lists every id of every area.
/// </summary>
public static class CmdletErrorIds
{
    /// <summary>Start-CnnTraining got no dataset; pipe one in (Import-MnistData | New-CnnModel | Start-CnnTraining) or pass -Dataset.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string DatasetRequired = nameof(DatasetRequired);
    /// <summary>A cmdlet that needs a model (Invoke-CnnPredict, Save-CnnModel, Export-CnnModel, Export-CnnFeatureMap) got none; pipe one in or pass -Model (or -ModelPath).</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ModelRequired = nameof(ModelRequired);
    /// <summary>Save-CnnModel -Path names a folder that exists and is not empty; add -Force to replace it, or choose another path.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument, Category = "ResourceExists")]
    public const string ModelFolderExists = nameof(ModelFolderExists);
    /// <summary>Save-CnnModel could not write the model folder (permissions, disk); the message says why: fix it and save again.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument, Category = "WriteError")]
    public const string ModelSaveFailed = nameof(ModelSaveFailed);
    /// <summary>Export-CnnModel -Path names a file that exists; add -Force to replace it, or choose another path.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument, Category = "ResourceExists")]
    public const string ExportFileExists = nameof(ExportFileExists);
    /// <summary>Export-CnnModel could not write the ONNX file (permissions, a missing folder, disk); the message says why: fix it and export again.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument, Category = "WriteError")]
    public const string ModelExportFailed = nameof(ModelExportFailed);
    /// <summary>Import-MnistData got -TestFraction or -SplitSeed for IDX files, which come split already; leave them out, or pass a folder of class sub-folders.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ImageFolderOptionUnused = nameof(ImageFolderOptionUnused);
    /// <summary>New-CnnLayer -Activation names no known activation; use one of the names the message lists.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string UnknownActivation = nameof(UnknownActivation);
    /// <summary>A key of -Options is not a training option; use the names the message lists (Get-Help Start-CnnTraining -Parameter Options).</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string UnknownTrainingOption = nameof(UnknownTrainingOption);
    /// <summary>A value of -Options cannot be converted to its option's type; give a value of that type (a number, true/false, one of the choices).</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string InvalidTrainingOption = nameof(InvalidTrainingOption);
    /// <summary>A -Tag key is reserved or not a valid MLflow tag name, or its value is not a single text or number; rename the tag or give a plain value.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string TagInvalid = nameof(TagInvalid);
    /// <summary>Export-CnnReport got a run with no folder here (read from MLflow, or trained without -OutputPath); give the folder to write to with -Path.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ReportFolderMissing = nameof(ReportFolderMissing);
    /// <summary>Export-CnnReport got a run folder without a readable result.json, or an object with neither a folder nor an MLflow run id; pipe a finished run.</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string RunResultNotFound = nameof(RunResultNotFound);
    /// <summary>Publish-CnnRun sent only part of a run (the server failed midway); run Publish-CnnRun again when the server is back (it continues where it stopped).</summary>
    [ErrorKinds(ErrorKind.ConnectionError)]
    public const string RunPublishFailed = nameof(RunPublishFailed);
    /// <summary>Invoke-CnnExperiment -UseSchedulerIndex found no array index variable; set MNISTCNN_TRIAL_INDEX, or run it as a Slurm, Kubernetes, AWS Batch or similar array job.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string SchedulerIndexMissing = nameof(SchedulerIndexMissing);
    /// <summary>Ctrl+C, SIGTERM or SIGINT stopped a training run or an experiment; the checkpoint is kept: run the same command again (or -ResumeFrom) to continue.</summary>
    [ErrorKinds(ErrorKind.OperationStopped)]
    public const string TrainingStopped = nameof(TrainingStopped);
    /// <summary>The -OnEpochEnd script block threw after an epoch; a non-terminating error wraps its error and training goes on: fix the script block.</summary>
    [ErrorKinds(Category = "(the script error's own)")]
    public const string OnEpochEndFailed = nameof(OnEpochEndFailed);
}
