using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Data;

/// <summary>
/// The stable ErrorIds of the data layer (<see cref="MnistCnnException.ErrorId"/>); tests and scripts
/// match on them, so never rename one. docs/data.md lists what each means and how to fix it.
/// </summary>
public static class DataErrorIds
{
    /// <summary>A file does not start with the IDX magic number its name promises (0x00000803 images, 0x00000801 labels).</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string IdxBadMagic = nameof(IdxBadMagic);
    /// <summary>A file holds fewer bytes than its IDX header promises.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string IdxTruncated = nameof(IdxTruncated);
    /// <summary>A file holds more bytes than its IDX header promises.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string IdxTrailingData = nameof(IdxTrailingData);
    /// <summary>An images file and its labels file disagree on how many examples there are.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string IdxCountMismatch = nameof(IdxCountMismatch);
    /// <summary>Zero or absurd dimensions, or train and test images of different sizes.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string IdxBadDimensions = nameof(IdxBadDimensions);
    /// <summary>A label outside 0..9.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string IdxBadLabel = nameof(IdxBadLabel);
    /// <summary>A <c>.gz</c> file that is empty, not gzip, or corrupt inside.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string IdxBadGzip = nameof(IdxBadGzip);
    /// <summary>A file could not be read (permissions, I/O error).</summary>
    [ErrorKinds(ErrorKind.ResourceUnavailable)]
    public const string DataFileUnreadable = nameof(DataFileUnreadable);
    /// <summary>One or more of the four IDX files is not in the folder.</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string DataFileMissing = nameof(DataFileMissing);
    /// <summary>The folder given with -Path (or an environment variable) does not exist.</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string DataFolderNotFound = nameof(DataFolderNotFound);
    /// <summary>Downloaded or cached bytes do not match the known SHA-256 of the official file.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string DataChecksumMismatch = nameof(DataChecksumMismatch);
    /// <summary>The data is nowhere locally and could not be acquired (no network, no npm).</summary>
    [ErrorKinds(ErrorKind.ResourceUnavailable)]
    public const string DataUnavailable = nameof(DataUnavailable);
    /// <summary>A warning, not an error: the cache folder could not be written, so the data is used from memory; make the cache folder writable to keep it.</summary>
    [ErrorKinds(Warning = true)]
    public const string DataCacheUnwritable = nameof(DataCacheUnwritable);
    /// <summary>An image folder (Import-MnistData -Path) has no class sub-folders.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string ImageFolderNoClasses = nameof(ImageFolderNoClasses);
    /// <summary>A class sub-folder of an image folder holds no readable image.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string ImageClassEmpty = nameof(ImageClassEmpty);
    /// <summary>An image folder has more class sub-folders than labels can number (256).</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string ImageFolderTooManyClasses = nameof(ImageFolderTooManyClasses);
    /// <summary>The share of images kept for testing is not between 0 and 1 (exclusive), or leaves a split empty.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument, ErrorKind.InvalidData)]
    public const string TestFractionInvalid = nameof(TestFractionInvalid);
    /// <summary>An image file to read (Invoke-CnnPredict -Path, an image folder) does not exist; check the path or the wildcard.</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string ImageFileMissing = nameof(ImageFileMissing);
    /// <summary>A file is not a picture the toolkit can decode (PNG, JPEG, BMP, GIF, WebP); convert it to one of those.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string ImageDecodeFailed = nameof(ImageDecodeFailed);
    /// <summary>A picture ends inside its header or before its last pixel (truncated or corrupt); download or save it again.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string ImageIncomplete = nameof(ImageIncomplete);
    /// <summary>A picture declares more pixels than the limit (-MaxPixelCount), or one to draw would not fit in memory; scale it down or draw fewer images.</summary>
    [ErrorKinds(ErrorKind.InvalidData, ErrorKind.ResourceUnavailable, ErrorKind.InvalidArgument)]
    public const string ImageTooLarge = nameof(ImageTooLarge);
    /// <summary>An image's pixel count or size differs from the model's input (prediction, feature maps); give pictures of the size the model was trained on, or preprocess them.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string ImageSizeMismatch = nameof(ImageSizeMismatch);
}
