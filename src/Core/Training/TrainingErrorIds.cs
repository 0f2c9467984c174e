using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Training;

/// <summary>
/// The stable ErrorIds (<see cref="MnistCnnException.ErrorId"/>) of training (the loop, its settings and what the
/// trainer checks before it starts); tests and scripts match on them, so never rename one. docs/error-ids.md lists every id of every area.
/// </summary>
public static class TrainingErrorIds
{
    /// <summary>The loss became NaN or infinite during training; lower the learning rate (or clip gradients) and train again.</summary>
    [ErrorKinds(ErrorKind.InvalidOperation)]
    public const string TrainingDiverged = nameof(TrainingDiverged);
    /// <summary>Training settings break their rules (a range, a combination); the message names each setting and rule: change them.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string TrainingOptionsInvalid = nameof(TrainingOptionsInvalid);
    /// <summary>No training examples are left after the validation split is held out; lower -ValidationSplit or use more data.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string TrainingDataEmpty = nameof(TrainingDataEmpty);
    /// <summary>The model's input shape or class count differs from the dataset's; create the model from the data (Import-MnistData | New-CnnModel).</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ModelDataMismatch = nameof(ModelDataMismatch);
    /// <summary>The options name an optimizer value the trainer does not know (a cast number, not a name); use one of the -Optimizer names.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string UnknownOptimizer = nameof(UnknownOptimizer);
    /// <summary>-Device Cuda was asked for but CUDA is not available (CPU backend or no GPU/driver); install the CUDA backend on a GPU machine, or use -Device Cpu.</summary>
    [ErrorKinds(ErrorKind.ResourceUnavailable)]
    public const string CudaUnavailable = nameof(CudaUnavailable);
}
