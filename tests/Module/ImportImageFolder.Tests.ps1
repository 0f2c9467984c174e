# Import-MnistData -Path on a folder of your own images (one sub-folder per class, the layout of Keras'
# image_dataset_from_directory and torchvision's ImageFolder): class names from the folder names, a seeded split,
# a non-terminating error per unreadable file, a terminating one for an empty class, and training on it end to end.
# (Training on MNIST test images saved as PNG, compared with the same images from IDX, is in the Core tests:
# tests/Core.Tests/Data/ImageFolderLoaderTests.cs.)
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $cmdlet = 'MnistCnn.Cmdlets.ImportMnistDataCommand'
    # Synthetic digits: class k is a bar at its own row. Classes 0, 4 and 8 become folders "bar-high", "bar-mid", "bar-low".
    $source = New-SyntheticDataset -TrainCount 150 -TestCount 10
    $names = @{ 0 = 'bar-high'; 4 = 'bar-mid'; 8 = 'bar-low' }
    function New-ImageFolder([string] $Name) {
        $folder = Join-Path $TestDrive $Name
        foreach ($label in $names.Keys) {
            $indices = @(0..($source.Train.Count - 1) | Where-Object { $source.Train.Labels[$_] -eq $label })
            $null = $source | Export-MnistImage -Split Train -Index $indices -Single -Path (Join-Path $folder $names[$label])
        }
        $folder
    }
    $folder = New-ImageFolder 'bars'
}

Describe 'Import-MnistData -Path on a folder of class folders' {
    It 'reads the images with the class names of the folders, sorted, and splits each class' {
        $data = Import-MnistData -Path $folder -TestFraction 0.2 -SplitSeed 3
        $data | Should -BeOfType MnistCnn.Core.Data.MnistDataset
        $data.Name | Should -Be 'bars'
        $data.Kind | Should -Be 'ImageFolder'
        $data.ClassNames | Should -Be @('bar-high', 'bar-low', 'bar-mid')
        $data.Classes | Should -Be 3
        ($data.Train.Count + $data.Test.Count) | Should -Be 45
        $data.TestLabelCounts | Should -Be @(3, 3, 3)
        $data.Train.Height | Should -Be 28
        $data.Checksums['images'] | Should -Match '^[0-9a-f]{64}$'
        # The same seed, the same split; another seed, another one.
        (Import-MnistData -Path $folder -TestFraction 0.2 -SplitSeed 3).Test.Pixels | Should -Be $data.Test.Pixels
        (Import-MnistData -Path $folder -TestFraction 0.2 -SplitSeed 4).Test.Pixels | Should -Not -Be $data.Test.Pixels
    }

    It 'trains a model whose predictions carry the folder names' {
        $run = Import-MnistData -Path $folder | New-CnnModel | Start-CnnTraining -Epochs 3 -Seed 1 -Threads 1 -Optimizer Adam -NoReport
        $run.TestAccuracy | Should -BeGreaterThan 0.6
        $run.TrainedModel.ClassNames | Should -Be @('bar-high', 'bar-low', 'bar-mid')
        $picture = Get-ChildItem (Join-Path $folder 'bar-low') -Filter *.png | Select-Object -First 1
        $prediction = $picture | Invoke-CnnPredict -Model $run.TrainedModel
        $prediction.ClassName | Should -BeIn @('bar-high', 'bar-low', 'bar-mid')
        $prediction.Top.Count | Should -Be 3
    }

    It 'skips an unreadable file with a non-terminating ImageDecodeFailed error and uses the rest' {
        $broken = New-ImageFolder 'broken'
        $bad = Join-Path $broken 'bar-mid/not-really.png'
        Set-Content $bad 'not a PNG'
        $data = Import-MnistData -Path $broken -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be "ImageDecodeFailed,$cmdlet"
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].TargetObject | Should -Be $bad
        ($data.Train.Count + $data.Test.Count) | Should -Be 45
    }

    It 'stops with ImageClassEmpty when a class folder has no image' {
        $gap = New-ImageFolder 'gap'
        $null = New-Item -ItemType Directory (Join-Path $gap 'bar-none')
        { Import-MnistData -Path $gap } | Should -Throw -ErrorId "ImageClassEmpty,$cmdlet"
        try { Import-MnistData -Path $gap } catch { $_.Exception.Message | Should -Match "bar-none.*holds no readable image" }
    }

    It 'stops with ImageFolderNoClasses when the pictures are not in class folders' {
        $loose = Join-Path $TestDrive 'loose'
        $null = $source | Export-MnistImage -Split Train -Index 0, 1 -Single -Path $loose
        { Import-MnistData -Path $loose } | Should -Throw -ErrorId "ImageFolderNoClasses,$cmdlet"
    }

    It 'refuses a test fraction outside (0, 1) with TestFractionInvalid' {
        { Import-MnistData -Path $folder -TestFraction 1 } | Should -Throw -ErrorId "TestFractionInvalid,$cmdlet"
    }

    It 'refuses -TestFraction for IDX data (ImageFolderOptionUnused) and -Dataset ImageFolder' {
        $idx = Join-Path $TestDrive 'idx'
        $null = New-Item -ItemType Directory $idx
        { Import-MnistData -Path $idx -TestFraction 0.3 } | Should -Throw -ErrorId "ImageFolderOptionUnused,$cmdlet"
        { Import-MnistData -Dataset ImageFolder -Path $idx } | Should -Throw -ErrorId "ParameterArgumentValidationError,$cmdlet"
    }
}
