using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Prediction;

/// <summary>
/// The stable ErrorIds (<see cref="MnistCnnException.ErrorId"/>) of the prediction area; tests and scripts match on them, so
/// never rename one. docs/error-ids.md lists every id of every area.
/// </summary>
public static class PredictionErrorIds
{
    /// <summary>-Index points outside the chosen split of the dataset; use an index from 0 to the split size minus 1.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string IndexOutOfRange = nameof(IndexOutOfRange);
    /// <summary>Invoke-CnnPredict -Path names a folder; pass image files, e.g. 'folder/*.png'.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string PathIsFolder = nameof(PathIsFolder);
    /// <summary>Invoke-CnnPredict -Path names an IDX labels file, which holds no images; pass its images file (the labels beside it are read).</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string IdxLabelsFileAlone = nameof(IdxLabelsFileAlone);
}
