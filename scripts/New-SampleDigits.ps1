#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Draws the first MNIST test image of each digit as a "photo" of a digit on paper: examples/digits/digit-<d>.png.
.DESCRIPTION
    For each class 0..9 the first image of that class in the MNIST test set (t10k) is drawn dark ink on a white page,
    scaled up -Scale times with smooth (bilinear) sampling, with a -Margin of white around it: 200x200 pixels by
    default. These are the pictures the README's `Invoke-CnnPredict -Path ./examples/digits/*.png` predicts; they
    also exercise the picture preprocessing (inversion, fitting into 20x20, centring by mass) end to end.

    The module is imported from out/MnistCnn (run `dotnet pwsh ./build.ps1 Build` first) unless it is already
    loaded. The data comes from -DataPath, else Import-MnistData's usual search (MNIST_DATA_DIR, the cache, ...).
    MNIST is Yann LeCun's and Corinna Cortes' (CC BY-SA 3.0); see examples/digits/README.md.
.EXAMPLE
    dotnet pwsh ./scripts/New-SampleDigits.ps1
.EXAMPLE
    dotnet pwsh ./scripts/New-SampleDigits.ps1 -OutputPath ./my-digits -Format Jpeg -Scale 10
#>
[CmdletBinding(SupportsShouldProcess)]
[OutputType([IO.FileInfo])]
param(
    # Folder to write digit-0.png ... digit-9.png (or .jpg) to.
    [string] $OutputPath = (Join-Path $PSScriptRoot '../examples/digits'),
    # A folder with the four MNIST files; default: Import-MnistData's search order.
    [string] $DataPath,
    # Each MNIST pixel becomes Scale x Scale pixels.
    [ValidateRange(1, 100)]
    [int] $Scale = 7,
    # White border around the scaled 28x28 image, in pixels.
    [ValidateRange(0, 1000)]
    [int] $Margin = 2,
    [ValidateSet('Png', 'Jpeg')]
    [string] $Format = 'Png'
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

if (-not (Get-Module MnistCnn)) {
    $manifest = Join-Path $PSScriptRoot '../out/MnistCnn/MnistCnn.psd1'
    if (-not (Test-Path $manifest)) { throw "No built module at $manifest; run: dotnet pwsh ./build.ps1 Build" }
    Import-Module $manifest
}
# SkiaSharp ships in the module folder; load it so its types resolve here.
$null = [Reflection.Assembly]::LoadFrom((Join-Path (Get-Module MnistCnn).ModuleBase 'SkiaSharp.dll'))

$importArgs = @{ NoDownload = [bool] $DataPath }
if ($DataPath) { $importArgs.Path = $DataPath }
$test = (Import-MnistData @importArgs).Test

$folder = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputPath)
$extension = if ($Format -eq 'Png') { 'png' } else { 'jpg' }
$size = $test.Height
$side = ($size * $Scale) + (2 * $Margin)
$encoding = [SkiaSharp.SKEncodedImageFormat]::$Format
$sampling = [SkiaSharp.SKSamplingOptions]::new([SkiaSharp.SKFilterMode]::Linear, [SkiaSharp.SKMipmapMode]::None)

for ($digit = 0; $digit -le 9; $digit++) {
    $index = [Array]::IndexOf($test.Labels, [byte] $digit)
    if ($index -lt 0) { throw "The test set has no image of $digit." }
    $file = Join-Path $folder "digit-$digit.$extension"
    if (-not $PSCmdlet.ShouldProcess($file, "Write MNIST test image $index (a $digit) as a ${side}x$side picture")) { continue }
    $null = New-Item -ItemType Directory -Force $folder

    # Dark ink on white: the inverse of MNIST's light-on-black pixels.
    $ink = [byte[]]::new($size * $size)
    $start = $index * $size * $size
    for ($i = 0; $i -lt $ink.Length; $i++) { $ink[$i] = 255 - $test.Pixels[$start + $i] }
    $info = [SkiaSharp.SKImageInfo]::new($size, $size, [SkiaSharp.SKColorType]::Gray8, [SkiaSharp.SKAlphaType]::Opaque)
    $small = [SkiaSharp.SKImage]::FromPixelCopy($info, $ink, $size)
    $surface = [SkiaSharp.SKSurface]::Create([SkiaSharp.SKImageInfo]::new($side, $side))
    $snapshot = $null
    $data = $null
    try {
        $surface.Canvas.Clear([SkiaSharp.SKColors]::White)
        $surface.Canvas.DrawImage($small, [SkiaSharp.SKRect]::Create($Margin, $Margin, $size * $Scale, $size * $Scale), $sampling, $null)
        $snapshot = $surface.Snapshot()
        $data = $snapshot.Encode($encoding, 92)
        [IO.File]::WriteAllBytes($file, $data.ToArray())
    }
    finally {
        if ($data) { $data.Dispose() }
        if ($snapshot) { $snapshot.Dispose() }
        $surface.Dispose()
        $small.Dispose()
    }
    Write-Verbose "digit-$digit.${extension}: test image $index"
    Get-Item $file
}
