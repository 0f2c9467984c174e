namespace MnistCnn.Core.Data;

/// <summary>
/// The stable ErrorIds of the data layer (<see cref="Diagnostics.MnistCnnException.ErrorId"/>); tests and scripts
/// match on them, so never rename one. docs/data.md lists what each means and how to fix it.
/// </summary>
public static class DataErrorIds
{
    /// <summary>A file does not start with the IDX magic number its name promises (0x00000803 images, 0x00000801 labels).</summary>
    public const string IdxBadMagic = nameof(IdxBadMagic);
    /// <summary>A file holds fewer bytes than its IDX header promises.</summary>
    public const string IdxTruncated = nameof(IdxTruncated);
    /// <summary>A file holds more bytes than its IDX header promises.</summary>
    public const string IdxTrailingData = nameof(IdxTrailingData);
    /// <summary>An images file and its labels file disagree on how many examples there are.</summary>
    public const string IdxCountMismatch = nameof(IdxCountMismatch);
    /// <summary>Zero or absurd dimensions, or train and test images of different sizes.</summary>
    public const string IdxBadDimensions = nameof(IdxBadDimensions);
    /// <summary>A label outside 0..9.</summary>
    public const string IdxBadLabel = nameof(IdxBadLabel);
    /// <summary>A <c>.gz</c> file that is empty, not gzip, or corrupt inside.</summary>
    public const string IdxBadGzip = nameof(IdxBadGzip);
    /// <summary>A file could not be read (permissions, I/O error).</summary>
    public const string DataFileUnreadable = nameof(DataFileUnreadable);
    /// <summary>One or more of the four IDX files is not in the folder.</summary>
    public const string DataFileMissing = nameof(DataFileMissing);
    /// <summary>The folder given with -Path (or an environment variable) does not exist.</summary>
    public const string DataFolderNotFound = nameof(DataFolderNotFound);
    /// <summary>Downloaded or cached bytes do not match the known SHA-256 of the official file.</summary>
    public const string DataChecksumMismatch = nameof(DataChecksumMismatch);
    /// <summary>The data is nowhere locally and could not be acquired (no network, no npm).</summary>
    public const string DataUnavailable = nameof(DataUnavailable);
    /// <summary>The cache folder could not be written.</summary>
    public const string DataCacheUnwritable = nameof(DataCacheUnwritable);
    /// <summary>An image folder (Import-MnistData -Path) has no class sub-folders.</summary>
    public const string ImageFolderNoClasses = nameof(ImageFolderNoClasses);
    /// <summary>A class sub-folder of an image folder holds no readable image.</summary>
    public const string ImageClassEmpty = nameof(ImageClassEmpty);
    /// <summary>An image folder has more class sub-folders than labels can number (256).</summary>
    public const string ImageFolderTooManyClasses = nameof(ImageFolderTooManyClasses);
    /// <summary>The share of images kept for testing is not between 0 and 1 (exclusive), or leaves a split empty.</summary>
    public const string TestFractionInvalid = nameof(TestFractionInvalid);
}
