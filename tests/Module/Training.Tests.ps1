# The lead's pipeline end to end in PowerShell: data -> model -> training -> prediction, on small data. Each cmdlet's
# own tests are in its <VerbNoun>.Tests.ps1 (Start-CnnTraining's errors, stops and resume in StartCnnTraining.Tests.ps1).
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $work = Join-Path ([IO.Path]::GetTempPath()) "mnistcnn-pester-$PID"
    $null = New-Item -ItemType Directory -Force $work
}
AfterAll { Remove-Item -Recurse -Force $work -ErrorAction Ignore }

Describe 'Import-MnistData | New-CnnModel | Start-CnnTraining' {
    Context 'on synthetic data' {
        BeforeAll {
            $data = New-SyntheticDataset -TrainCount 256 -TestCount 64
            $run = $data | New-CnnModel | Start-CnnTraining -Epochs 2 -Seed 7 -Threads 2 -Optimizer Adam -InformationVariable info -Tag @{ team = 'vision'; round = 3 }
        }

        It 'records -Tag values as run tags in the journal' {
            $events = Get-Content (Join-Path $run.OutputPath 'journal.jsonl') | ForEach-Object { $_ | ConvertFrom-Json }
            $tags = @($events | Where-Object type -eq 'tags')[0].tags
            $tags.team | Should -Be 'vision'
            $tags.round | Should -Be '3'
            $tags.'mlflow.runName' | Should -Be $run.RunName
        }

        It 'returns a finished TrainingResult with one record per epoch' {
            $run | Should -BeOfType MnistCnn.Core.Training.TrainingResult
            "$($run.Status)" | Should -Be 'Finished'
            $run.Epochs.Count | Should -Be 2
            $run.Epochs[1].Epoch | Should -Be 2
        }

        It 'learns the synthetic task (test accuracy well above chance)' {
            $run.TestAccuracy | Should -BeGreaterThan 0.5
        }

        It 'writes each epoch as an information record tagged MnistCnn.Epoch' {
            $epochs = @($info | Where-Object { $_.Tags -contains 'MnistCnn.Epoch' })
            $epochs.Count | Should -Be 2
            $epochs[0].MessageData | Should -BeOfType MnistCnn.Core.Training.EpochResult
        }

        It 'predicts the test split of the dataset it was trained on' {
            $predictions = @($run | Invoke-CnnPredict -Dataset $data -Index 0, 1, 2)
            $predictions.Count | Should -Be 3
            $predictions[0].Actual | Should -Be $data.Test.Labels[0]
            $predictions | ForEach-Object { $_.Top.Count | Should -Be 3 }
        }

        It 'predicts an image file (SkiaSharp natives load from the module folder)' {
            # A 28x28 24-bit BMP, written by hand: black with a white bar, light on dark like MNIST.
            $bmp = Join-Path $work 'bar.bmp'
            $rowBytes = 28 * 3 + ((4 - (28 * 3) % 4) % 4)
            $pixels = [byte[]]::new($rowBytes * 28)
            for ($x = 2; $x -lt 26; $x++) { for ($c = 0; $c -lt 3; $c++) { $pixels[(13 * $rowBytes) + ($x * 3) + $c] = 255 } }
            $header = [IO.MemoryStream]::new()
            $w = [IO.BinaryWriter]::new($header)
            $w.Write([byte[]][char[]]'BM'); $w.Write([int](54 + $pixels.Length)); $w.Write([int]0); $w.Write([int]54)
            $w.Write([int]40); $w.Write([int]28); $w.Write([int]28); $w.Write([int16]1); $w.Write([int16]24)
            $w.Write([int]0); $w.Write([int]$pixels.Length); $w.Write([int]2835); $w.Write([int]2835); $w.Write([int]0); $w.Write([int]0)
            $w.Write($pixels); $w.Flush()
            [IO.File]::WriteAllBytes($bmp, $header.ToArray())
            $prediction = $run | Invoke-CnnPredict -Path $bmp
            $prediction.Source | Should -Be $bmp
            $prediction.Label | Should -BeIn (0..9)
            $prediction.Confidence | Should -BeGreaterThan 0
        }
    }
}
