# Invoke-CnnPredict on pictures (PNG, JPEG), IDX files and dataset splits, with a model trained here on a small
# subset of the real MNIST by the mission's one-liner; and its errors. Needs the real MNIST files (tests skip with
# the reason when they are absent).
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $mnistDir = Get-MnistDirectory
    $noData = 'no MNIST files: set MNIST_DATA_DIR or put them in ../shared/datasets/mnist'
    $cmdlet = 'MnistCnn.Cmdlets.InvokeCnnPredictCommand'
    $sampleScript = Join-Path $RepoRoot 'scripts/New-SampleDigits.ps1'

    if ($mnistDir) {
        # Ten photo-style digits (dark on white, 200x200), as PNG and as JPEG.
        $digits = Join-Path $TestDrive 'digits'
        $null = & $sampleScript -DataPath $mnistDir -OutputPath $digits
        $jpegs = Join-Path $TestDrive 'jpeg'
        $null = & $sampleScript -DataPath $mnistDir -OutputPath $jpegs -Format Jpeg -Scale 9 -Margin 30

        # The mission, as one line (Import-MnistData finds the data through MNIST_DATA_DIR); seeded, so the accuracy
        # checks below see the same model every run.
        $savedDataDir = $env:MNIST_DATA_DIR
        try {
            $env:MNIST_DATA_DIR = $mnistDir
            $oneLiner = @(Import-MnistData -TrainCount 2000 -TestCount 500 | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 1 -OutputPath $TestDrive/run | Invoke-CnnPredict -Path $TestDrive/digits/*.png)
        }
        finally { $env:MNIST_DATA_DIR = $savedDataDir }
        $runDir = Join-Path $TestDrive 'run'
        $model = Import-CnnModel $runDir
        $data = Import-MnistData -Path $mnistDir -TrainCount 10 -TestCount 100 -NoDownload
    }
}

Describe 'Invoke-CnnPredict' {
    It 'answers the mission one-liner with one prediction per PNG' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $pngs = @(Get-ChildItem $digits -Filter *.png | Sort-Object Name)
        $pngs.Count | Should -Be 10
        $oneLiner.Count | Should -Be $pngs.Count
        @($oneLiner.Source | Sort-Object) | Should -Be @($pngs.FullName)
        foreach ($p in $oneLiner) {
            $p | Should -BeOfType MnistCnn.Core.Prediction.Prediction
            $p.Label | Should -BeIn (0..9)
            $p.ClassName | Should -Be "$($p.Label)"
            $p.Confidence | Should -BeGreaterThan 0
            $p.Confidence | Should -BeLessOrEqual 1
            $p.Top.Count | Should -Be 3
            $p.Top[0].Label | Should -Be $p.Label
            $p.Top[0].Probability | Should -Be $p.Confidence
            $p.Top[0].Probability | Should -BeGreaterOrEqual $p.Top[1].Probability
            $p.Top[1].Probability | Should -BeGreaterOrEqual $p.Top[2].Probability
            @($p.Top.Label | Select-Object -Unique).Count | Should -Be 3
            $p.Actual | Should -BeNullOrEmpty
        }
        Join-Path $runDir 'model/model.json' | Should -Exist
    }

    It 'predicts exported dataset images exactly as it predicts the dataset itself' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $files = @(Export-MnistImage -Dataset $data -Split Test -Index (0..9) -Single -Scale 1 -Path (Join-Path $TestDrive 'exported'))
        $fromFiles = @($files | Invoke-CnnPredict -Model $model)
        $fromData = @(Invoke-CnnPredict -Model $model -Dataset $data -Index (0..9))
        $fromFiles.Count | Should -Be 10
        for ($i = 0; $i -lt 10; $i++) {
            $fromFiles[$i].Source | Should -Be $files[$i].FullName
            $fromFiles[$i].Label | Should -Be $fromData[$i].Label
            [math]::Abs($fromFiles[$i].Confidence - $fromData[$i].Confidence) | Should -BeLessThan 1e-5
        }
    }

    It 'expands wildcards in -Path' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $some = @(Invoke-CnnPredict -Model $model -Path (Join-Path $digits 'digit-[0-4].png'))
        $some.Count | Should -Be 5
        @($some.Source | ForEach-Object { Split-Path -Leaf $_ } | Sort-Object) | Should -Be @(0..4 | ForEach-Object { "digit-$_.png" })
    }

    It 'predicts JPEG pictures' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $fromJpeg = @(Invoke-CnnPredict -Model $model -Path (Join-Path $jpegs '*.jpg'))
        $fromJpeg.Count | Should -Be 10
        $fromJpeg | ForEach-Object { $_.Source | Should -BeLike '*.jpg'; $_.Top.Count | Should -Be 3 }
        # The same digits as PNG and as a larger JPEG mostly get the same answer.
        $fromPng = @(Invoke-CnnPredict -Model $model -Path (Join-Path $digits '*.png'))
        $agree = 0
        for ($i = 0; $i -lt 10; $i++) { if ($fromJpeg[$i].Label -eq $fromPng[$i].Label) { $agree++ } }
        $agree | Should -BeGreaterOrEqual 8
    }

    It 'binds files piped from Get-ChildItem (LiteralPath), even names with wildcard characters' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $piped = @(Get-ChildItem $digits -Filter *.png | Invoke-CnnPredict -ModelPath $runDir)
        $piped.Count | Should -Be 10
        @($piped.Source | Sort-Object) | Should -Be @(Get-ChildItem $digits -Filter *.png | Sort-Object Name).FullName
        $odd = Join-Path $TestDrive 'odd'
        $null = New-Item -ItemType Directory -Force $odd
        Copy-Item -LiteralPath (Join-Path $digits 'digit-7.png') -Destination (Join-Path $odd 'seven [1].png')
        $one = @(Get-Item -LiteralPath (Join-Path $odd 'seven [1].png') | Invoke-CnnPredict -Model $model)
        $one.Count | Should -Be 1
        $one[0].Source | Should -Be (Join-Path $odd 'seven [1].png')
        $one[0].Label | Should -Be (Invoke-CnnPredict -Model $model -LiteralPath (Join-Path $digits 'digit-7.png')).Label
    }

    It 'predicts a dataset split by -Index, with the true labels' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $some = @($model | Invoke-CnnPredict -Dataset $data -Index 5, 0, 42)
        $some.Count | Should -Be 3
        $some.Index | Should -Be @(5, 0, 42)
        $some.Actual | Should -Be @($data.Test.Labels[5], $data.Test.Labels[0], $data.Test.Labels[42])
        $some[2].Source | Should -BeLike '*t10k-images-idx3-ubyte*[[]42]'
        foreach ($p in $some) { $p.Correct | Should -Be ($p.Label -eq $p.Actual) }
        # The training split too; without -Index, all of it.
        (Invoke-CnnPredict -Model $model -Dataset $data -Split Train -Index 3).Actual | Should -Be $data.Train.Labels[3]
        @(Invoke-CnnPredict -Model $model -Dataset $data).Count | Should -Be 100
        # A model trained on 2,000 images for one epoch is far better than chance on 100 test digits.
        @(Invoke-CnnPredict -Model $model -Dataset $data | Where-Object Correct).Count | Should -BeGreaterThan 50
    }

    It 'predicts an IDX images file, with Actual from the labels file beside it and without it when absent' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $n = 20
        $images = New-IdxBytes 0x00000803 @($n, 28, 28) ([byte[]] $data.Test.Pixels[0..($n * 784 - 1)])
        $labels = New-IdxBytes 0x00000801 @($n) ([byte[]] $data.Test.Labels[0..($n - 1)])
        $withLabels = Join-Path $TestDrive 'idx-labelled'
        $alone = Join-Path $TestDrive 'idx-alone'
        $null = New-Item -ItemType Directory -Force $withLabels, $alone
        [IO.File]::WriteAllBytes((Join-Path $withLabels 't10k-images-idx3-ubyte'), $images)
        [IO.File]::WriteAllBytes((Join-Path $withLabels 't10k-labels-idx1-ubyte'), $labels)
        [IO.File]::WriteAllBytes((Join-Path $alone 't10k-images-idx3-ubyte'), $images)

        $labelled = @(Invoke-CnnPredict -Model $model -Path (Join-Path $withLabels 't10k-images-idx3-ubyte'))
        $labelled.Count | Should -Be $n
        $labelled.Actual | Should -Be @($data.Test.Labels[0..($n - 1)])
        $labelled[3].Source | Should -Be "$(Join-Path $withLabels 't10k-images-idx3-ubyte')[3]"
        $labelled[3].Index | Should -Be 3

        $unlabelled = @(Invoke-CnnPredict -Model $model -Path (Join-Path $alone 't10k-images-idx3-ubyte'))
        $unlabelled.Count | Should -Be $n
        $unlabelled | ForEach-Object { $_.Actual | Should -BeNullOrEmpty; $_.Correct | Should -BeNullOrEmpty }
        $unlabelled[3].Source | Should -Be "$(Join-Path $alone 't10k-images-idx3-ubyte')[3]"
        $unlabelled.Label | Should -Be $labelled.Label
        # The same as predicting those examples of the dataset.
        $labelled.Label | Should -Be @(Invoke-CnnPredict -Model $model -Dataset $data -Index (0..($n - 1))).Label
    }

    It 'takes a folder of IDX files by wildcard: the labels file goes with its images, not on its own' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $all = @(Invoke-CnnPredict -Model $model -Path (Join-Path $TestDrive 'idx-labelled/*') -ErrorVariable errs)
        $errs.Count | Should -Be 0
        $all.Count | Should -Be 20
        $all[0].Actual | Should -Be $data.Test.Labels[0]
        # A labels file on its own holds no images: a non-terminating IdxLabelsFileAlone.
        $lonely = Join-Path $TestDrive 'idx-labelled/t10k-labels-idx1-ubyte'
        $none = @(Invoke-CnnPredict -Model $model -LiteralPath $lonely -ErrorVariable lonelyErrs -ErrorAction SilentlyContinue)
        $none.Count | Should -Be 0
        $lonelyErrs.Count | Should -Be 1
        $lonelyErrs[0].FullyQualifiedErrorId | Should -Be "IdxLabelsFileAlone,$cmdlet"
        $lonelyErrs[0].Exception.Message | Should -BeLike '*t10k-images-idx3-ubyte*'
    }

    It 'lists as many classes as -Top asks for' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $p = Invoke-CnnPredict -Model $model -Path (Join-Path $digits 'digit-3.png') -Top 10
        $p.Top.Count | Should -Be 10
        ($p.Top.Probability | Measure-Object -Sum).Sum | Should -BeGreaterThan 0.999
        ($p.Top.Probability | Measure-Object -Sum).Sum | Should -BeLessThan 1.001
    }

    It 'loads the model with -ModelPath from a Save-CnnModel folder, a run folder or model.json' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $saved = Join-Path $TestDrive 'saved'
        $model | Save-CnnModel $saved
        $expected = @(Invoke-CnnPredict -Model $model -Path "$digits/*.png").Label
        @(Invoke-CnnPredict -ModelPath $saved -Path "$digits/*.png").Label | Should -Be $expected
        @(Invoke-CnnPredict -ModelPath $runDir -Path "$digits/*.png").Label | Should -Be $expected
        @(Invoke-CnnPredict -ModelPath (Join-Path $saved 'model.json') -Path "$digits/*.png").Label | Should -Be $expected
    }
}

Describe 'Invoke-CnnPredict errors' {
    It 'fails with ModelRequired when no model is given' {
        $png = Join-Path $TestDrive 'any.png'
        Set-Content $png 'x'
        { Invoke-CnnPredict -Path $png } | Should -Throw -ErrorId "ModelRequired,$cmdlet"
    }

    It 'fails with ModelNotFound for a -ModelPath without a model' {
        $empty = Join-Path $TestDrive 'no-model'
        $null = New-Item -ItemType Directory -Force $empty
        { Invoke-CnnPredict -ModelPath $empty -Path (Join-Path $empty '*.png') } | Should -Throw -ErrorId "ModelNotFound,$cmdlet"
    }

    It 'writes a non-terminating PathIsFolder for a folder and predicts the other files' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $out = @(Invoke-CnnPredict -Model $model -Path $digits, (Join-Path $digits 'digit-1.png') -ErrorVariable errs -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 1
        $out[0].Source | Should -Be (Join-Path $digits 'digit-1.png')
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be "PathIsFolder,$cmdlet"
        $errs[0].Exception.Message | Should -BeLike "*$digits*"
    }

    It 'writes one non-terminating ImageDecodeFailed for a corrupt picture among good ones' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $mixed = Join-Path $TestDrive 'mixed'
        $null = New-Item -ItemType Directory -Force $mixed
        Copy-Item (Join-Path $digits 'digit-[2-5].png') $mixed
        Set-Content (Join-Path $mixed 'broken.png') 'not a picture'
        $out = @(Invoke-CnnPredict -Model $model -Path (Join-Path $mixed '*.png') -ErrorVariable errs -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 4
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be "ImageDecodeFailed,$cmdlet"
        "$($errs[0].CategoryInfo.Category)" | Should -Be 'InvalidData'
        $errs[0].TargetObject | Should -Be (Join-Path $mixed 'broken.png')
    }

    It 'writes a non-terminating error for a corrupt IDX file and still predicts the pictures' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $bad = Join-Path $TestDrive 'bad-idx'
        $null = New-Item -ItemType Directory -Force $bad
        $truncated = Join-Path $bad 'train-images-idx3-ubyte'
        [IO.File]::WriteAllBytes($truncated, (New-IdxBytes 0x00000803 @(5, 28, 28) ([byte[]]::new(100))))
        $out = @(Invoke-CnnPredict -Model $model -Path $truncated, (Join-Path $digits 'digit-0.png') -ErrorVariable errs -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 1
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be "IdxTruncated,$cmdlet"
    }

    It 'writes a non-terminating ImageFileMissing for a missing file or a pattern that matches nothing' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        $missing = Join-Path $TestDrive 'nothing-here.png'
        $out = @(Invoke-CnnPredict -Model $model -Path $missing, (Join-Path $TestDrive 'none-*.png'), (Join-Path $digits 'digit-9.png') -ErrorVariable errs -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 1
        $errs.Count | Should -Be 2
        $errs | ForEach-Object { $_.FullyQualifiedErrorId | Should -Be "ImageFileMissing,$cmdlet" }
    }

    It 'fails with IndexOutOfRange for an -Index outside the split' {
        if (-not $mnistDir) { Set-ItResult -Skipped -Because $noData; return }
        { Invoke-CnnPredict -Model $model -Dataset $data -Index 0, 100 } | Should -Throw -ErrorId "IndexOutOfRange,$cmdlet"
        { Invoke-CnnPredict -Model $model -Dataset $data -Index -1 } | Should -Throw -ErrorId "IndexOutOfRange,$cmdlet"
    }
}
