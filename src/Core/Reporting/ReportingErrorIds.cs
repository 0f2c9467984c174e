using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Reporting;

/// <summary>
/// The stable ErrorIds (<see cref="MnistCnnException.ErrorId"/>) of the reporting area (HTML reports, charts, image grids, feature maps); tests and scripts match on them, so
/// never rename one. docs/error-ids.md lists every id of every area.
/// </summary>
public static class ReportingErrorIds
{
    /// <summary>A report or chart was asked for a run (or sweep) with no finished epoch; train at least one epoch first.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ReportNoEpochs = nameof(ReportNoEpochs);
    /// <summary>The class names given do not match the number of classes of the model or confusion matrix; pass one name per class.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ReportClassNamesMismatch = nameof(ReportClassNamesMismatch);
    /// <summary>The test evaluation and the split given to the report differ in size; pass the split the model was evaluated on.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ReportTestSplitMismatch = nameof(ReportTestSplitMismatch);
    /// <summary>The folder to write pictures or a report to is empty or not a usable path; give a valid folder.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ReportFolderInvalid = nameof(ReportFolderInvalid);
    /// <summary>A picture or report file could not be written (or an old one removed); check that the folder exists or can be created and is writable.</summary>
    [ErrorKinds(ErrorKind.ResourceUnavailable)]
    public const string ReportWriteFailed = nameof(ReportWriteFailed);
    /// <summary>A sweep report was asked for with no trial results; pass at least one training result.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string SweepReportEmpty = nameof(SweepReportEmpty);
    /// <summary>No images were chosen to draw (empty -Index list or selection); choose at least one.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ImageSelectionEmpty = nameof(ImageSelectionEmpty);
    /// <summary>An index of images to draw is outside the split; use 0 to the split size minus 1.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ImageIndexOutOfRange = nameof(ImageIndexOutOfRange);
    /// <summary>-Count of images to draw is below 1; ask for at least one.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ImageCountInvalid = nameof(ImageCountInvalid);
    /// <summary>-Scale of a drawn image is not a whole number from 1 to 32; choose one in that range.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ImageScaleInvalid = nameof(ImageScaleInvalid);
    /// <summary>-Columns of an image grid is below 1; give at least one column (or leave it out for a square grid).</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ImageColumnsInvalid = nameof(ImageColumnsInvalid);
    /// <summary>Feature maps were asked for a model without a Conv2D layer; use a model with a convolution.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ModelHasNoConvolution = nameof(ModelHasNoConvolution);
}
