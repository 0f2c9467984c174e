# Import-MnistData: the object it returns on the real data, Fashion-MNIST from Debian's package, and a stable
# terminating error for every kind of broken data folder (built in TestDrive from small hand-made IDX files).
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $mnistDir = Get-MnistDirectory
    $cmdlet = 'MnistCnn.Cmdlets.ImportMnistDataCommand'

    function New-Images([int] $Count, [int] $Height = 5, [int] $Width = 4) {
        $pixels = [byte[]]::new($Count * $Height * $Width)
        for ($i = 0; $i -lt $pixels.Length; $i++) { $pixels[$i] = ($i * 37) % 256 }
        New-IdxBytes 0x00000803 @($Count, $Height, $Width) $pixels
    }

    function New-Labels([int] $Count) {
        New-IdxBytes 0x00000801 @($Count) ([byte[]] @(0..($Count - 1) | ForEach-Object { $_ % 10 }))
    }

    # A folder with a small, valid, raw dataset (6 train, 4 test images of 5x4); -Replace swaps files by name.
    function New-DataFolder([string] $Name, [hashtable] $Replace = @{}, [string[]] $Omit = @()) {
        $folder = Join-Path $TestDrive $Name
        $null = New-Item -ItemType Directory -Force $folder
        $files = @{
            'train-images-idx3-ubyte' = New-Images 6
            'train-labels-idx1-ubyte' = New-Labels 6
            't10k-images-idx3-ubyte'  = New-Images 4
            't10k-labels-idx1-ubyte'  = New-Labels 4
        }
        foreach ($key in $Replace.Keys) { $files.Remove(($key -replace '\.gz$', '')); $files[$key] = $Replace[$key] }
        foreach ($key in $files.Keys) {
            if ($Omit -notcontains $key) { [IO.File]::WriteAllBytes((Join-Path $folder $key), [byte[]] $files[$key]) }
        }
        $folder
    }

    # Restores the environment variables a test changes.
    $savedEnv = @{}
    foreach ($name in 'MNIST_DATA_DIR', 'FASHION_MNIST_DATA_DIR', 'MNISTCNN_CACHE_DIR') { $savedEnv[$name] = [Environment]::GetEnvironmentVariable($name) }
    function Restore-DataEnvironment {
        foreach ($name in $savedEnv.Keys) { [Environment]::SetEnvironmentVariable($name, $savedEnv[$name]) }
    }
}

AfterAll { Restore-DataEnvironment }

Describe 'Import-MnistData on the real MNIST files' {
    BeforeAll {
        $noData = 'no MNIST files: set MNIST_DATA_DIR or put them in ../shared/datasets/mnist'
        if ($mnistDir) { $data = Import-MnistData -Path $mnistDir -NoDownload }
    }

    It 'returns one MnistDataset with 60000 training and 10000 test images of 28x28' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        @($data).Count | Should -Be 1
        $data | Should -BeOfType MnistCnn.Core.Data.MnistDataset
        "$($data.Kind)" | Should -Be 'Mnist'
        $data.Train.Shape | Should -Be '60000x28x28'
        $data.Test.Shape | Should -Be '10000x28x28'
        $data.Train.Pixels.Length | Should -Be (60000 * 28 * 28)
        $data.Test.Labels.Length | Should -Be 10000
        $data.InputShape.Height | Should -Be 28
        $data.Classes | Should -Be 10
        $data.ClassNames | Should -Be @('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
        $data.Source | Should -Be $mnistDir
    }

    It 'has the published number of examples of each digit' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        # LeCun, Cortes and Burges' MNIST: per-class counts of the training and test sets.
        $data.Train.LabelCounts() | Should -Be @(5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
        $data.Test.LabelCounts() | Should -Be @(980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
    }

    It 'verifies the four files against the official checksums' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $data.ChecksumsVerified | Should -BeTrue
        $data.Checksums.Count | Should -Be 4
        $data.Checksums.Keys | Should -Contain 'train-images-idx3-ubyte.gz'
        foreach ($sha in $data.Checksums.Values) { $sha | Should -Match '^[0-9a-f]{64}$' }
        $actual = (Get-FileHash -Algorithm SHA256 (Join-Path $mnistDir 't10k-labels-idx1-ubyte.gz')).Hash.ToLowerInvariant()
        $data.Checksums['t10k-labels-idx1-ubyte.gz'] | Should -Be $actual
    }

    It 'keeps the first examples with -TrainCount and -TestCount' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $small = Import-MnistData -Path $mnistDir -TrainCount 1000 -TestCount 100 -NoDownload
        $small.Train.Shape | Should -Be '1000x28x28'
        $small.Test.Shape | Should -Be '100x28x28'
        $small.Train.Labels | Should -Be ($data.Train.Labels[0..999])
        $small.Test.Labels | Should -Be ($data.Test.Labels[0..99])
        [Linq.Enumerable]::SequenceEqual($small.Test.Pixels, [byte[]] $data.Test.Pixels[0..(100 * 784 - 1)]) | Should -BeTrue
        $small.ChecksumsVerified | Should -BeTrue
        # Asking for more than there is keeps everything.
        (Import-MnistData -Path $mnistDir -TestCount 20000 -TrainCount 5 -NoDownload).Test.Count | Should -Be 10000
    }

    It 'finds the data through MNIST_DATA_DIR without -Path' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        try {
            $env:MNIST_DATA_DIR = $mnistDir
            $viaEnv = Import-MnistData -TrainCount 10 -TestCount 10 -NoDownload
            $viaEnv.Source | Should -Be $mnistDir
            $viaEnv.Test.Labels | Should -Be ($data.Test.Labels[0..9])
        }
        finally { Restore-DataEnvironment }
    }

    It 'takes the folder from a piped DirectoryInfo (FullName)' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $piped = Get-Item $mnistDir | Import-MnistData -TrainCount 3 -TestCount 3 -NoDownload
        $piped.Source | Should -Be $mnistDir
    }
}

Describe 'Import-MnistData -Dataset FashionMnist' {
    It 'loads Fashion-MNIST from Debian''s dataset-fashion-mnist folder' {
        if (-not (Test-Path '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz')) {
            Set-ItResult -Skipped -Because 'there is no /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)'
            return
        }
        try {
            $env:MNIST_DATA_DIR = $null
            $env:FASHION_MNIST_DATA_DIR = $null
            $env:MNISTCNN_CACHE_DIR = Join-Path $TestDrive 'empty-cache'
            $fashion = Import-MnistData -Dataset FashionMnist -TestCount 500 -NoDownload
        }
        finally { Restore-DataEnvironment }
        "$($fashion.Kind)" | Should -Be 'FashionMnist'
        $fashion.Source | Should -Be '/usr/share/datasets/fashion-mnist'
        $fashion.Train.Shape | Should -Be '60000x28x28'
        $fashion.Test.Shape | Should -Be '500x28x28'
        $fashion.ClassNames[0] | Should -Be 'T-shirt/top'
        $fashion.ClassNames[9] | Should -Be 'Ankle boot'
        # Fashion-MNIST is balanced: 6000 of each class in training.
        $fashion.Train.LabelCounts() | Should -Be (@(6000) * 10)
        $fashion.ChecksumsVerified | Should -BeTrue
    }
}

Describe 'Import-MnistData errors' {
    It 'loads a small custom IDX dataset (the fixture itself is valid)' {
        $data = Import-MnistData -Path (New-DataFolder 'valid') -NoDownload
        $data.Train.Shape | Should -Be '6x5x4'
        $data.Test.Shape | Should -Be '4x5x4'
        $data.ChecksumsVerified | Should -BeFalse
    }

    It 'fails with <Id> when <Case>' -ForEach @(
        @{ Case = 'an images file carries the labels magic'; Id = 'IdxBadMagic'; Replace = { @{ 'train-images-idx3-ubyte' = New-IdxBytes 0x00000801 @(6, 5, 4) ([byte[]]::new(120)) } } }
        @{ Case = 'a file is shorter than its header promises'; Id = 'IdxTruncated'; Replace = { @{ 't10k-images-idx3-ubyte' = New-IdxBytes 0x00000803 @(4, 5, 4) ([byte[]]::new(50)) } } }
        @{ Case = 'a file is cut off inside its header'; Id = 'IdxTruncated'; Replace = { @{ 'train-labels-idx1-ubyte' = [byte[]] @(0, 0, 8) } } }
        @{ Case = 'a file has bytes beyond what its header promises'; Id = 'IdxTrailingData'; Replace = { @{ 't10k-labels-idx1-ubyte' = New-IdxBytes 0x00000801 @(4) ([byte[]] @(1, 2, 3, 4, 5)) } } }
        @{ Case = 'images and labels disagree on the count'; Id = 'IdxCountMismatch'; Replace = { @{ 'train-labels-idx1-ubyte' = New-Labels 5 } } }
        @{ Case = 'a label is not a class 0..9'; Id = 'IdxBadLabel'; Replace = { @{ 't10k-labels-idx1-ubyte' = New-IdxBytes 0x00000801 @(4) ([byte[]] @(1, 2, 12, 3)) } } }
        @{ Case = 'train and test images differ in size'; Id = 'IdxBadDimensions'; Replace = { @{ 't10k-images-idx3-ubyte' = New-Images 4 6 4 } } }
        @{ Case = 'a .gz file is not gzip'; Id = 'IdxBadGzip'; Replace = { @{ 'train-images-idx3-ubyte.gz' = [Text.Encoding]::ASCII.GetBytes('not gzip at all') } } }
    ) {
        $folder = New-DataFolder ($Id + '-' + ($Case -replace '\W', '')) -Replace (& $Replace)
        $err = { Import-MnistData -Path $folder -NoDownload } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "$Id,$cmdlet"
        $err.TargetObject | Should -BeLike "$folder*"
        # The message names the file and how to fix it.
        $err.Exception.Message | Should -BeLike "*$folder*"
        $err.Exception.Message | Should -Match 'Replace it|-Path|MNIST_DATA_DIR'
    }

    It 'is a terminating error: nothing after it in the script block runs' {
        $folder = New-DataFolder 'terminating' -Replace @{ 'train-labels-idx1-ubyte' = New-Labels 2 }
        $after = $false
        try { Import-MnistData -Path $folder -NoDownload -ErrorAction Continue; $after = $true } catch { $caught = $_ }
        $after | Should -BeFalse
        $caught.FullyQualifiedErrorId | Should -Be "IdxCountMismatch,$cmdlet"
    }

    It 'fails with DataFileMissing when one of the four files is absent, naming it' {
        $folder = New-DataFolder 'three-files' -Omit 't10k-labels-idx1-ubyte'
        $err = { Import-MnistData -Path $folder -NoDownload } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "DataFileMissing,$cmdlet"
        $err.Exception.Message | Should -BeLike '*t10k-labels-idx1-ubyte*'
        "$($err.CategoryInfo.Category)" | Should -Be 'ObjectNotFound'
    }

    It 'fails with DataFolderNotFound for a folder that does not exist, or a file given as -Path' {
        $missing = Join-Path $TestDrive 'no-such-folder'
        $err = { Import-MnistData -Path $missing -NoDownload } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "DataFolderNotFound,$cmdlet"
        $err.Exception.Message | Should -BeLike "*$missing*"
        $file = Join-Path (New-DataFolder 'file-as-path') 'train-images-idx3-ubyte'
        { Import-MnistData -Path $file -NoDownload } | Should -Throw -ErrorId "DataFolderNotFound,$cmdlet"
    }

    It 'fails with DataUnavailable at once with -NoDownload, an empty cache and no MNIST_DATA_DIR' {
        try {
            $env:MNIST_DATA_DIR = $null
            $env:MNISTCNN_CACHE_DIR = Join-Path $TestDrive 'empty-cache'
            $err = { Import-MnistData -NoDownload } | Should -Throw -PassThru
        }
        finally { Restore-DataEnvironment }
        $err.FullyQualifiedErrorId | Should -Be "DataUnavailable,$cmdlet"
        "$($err.CategoryInfo.Category)" | Should -Be 'ResourceUnavailable'
        # It says where it looked, that downloading was off, and how to fix it.
        $err.Exception.Message | Should -BeLike "*$(Join-Path $TestDrive 'empty-cache')*"
        $err.Exception.Message | Should -BeLike '*downloading is disabled*'
        $err.Exception.Message | Should -BeLike '*MNIST_DATA_DIR*'
        # Nothing was written to the cache.
        Join-Path $TestDrive 'empty-cache/mnist' | Should -Not -Exist
    }
}

Describe 'Import-MnistData without its files' {
    It 'fails with a stable id for a folder without the files' {
        $empty = Join-Path $TestDrive 'empty'
        $null = New-Item -ItemType Directory -Force $empty
        $err = { Import-MnistData -Path $empty -NoDownload } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Match '^(DataFileMissing|DataUnavailable),MnistCnn\.Cmdlets\.ImportMnistDataCommand$'
    }
}
