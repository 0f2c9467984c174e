# Export-CnnModel: ONNX files from a model in the pipeline, a model folder or a run folder; -WhatIf, -Force and its
# errors. That the exported graph computes what the model computes is checked in ONNX Runtime by the Core tests
# (tests/Core.Tests/Export/OnnxExportTests.cs); here the file is checked as ONNX protobuf.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $cmdlet = 'MnistCnn.Cmdlets.ExportCnnModelCommand'
    $data = New-SyntheticDataset -TrainCount 64 -TestCount 32
    $run = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 1 -Threads 1 -OutputPath (Join-Path $TestDrive 'run') -NoReport
    function Read-Onnx([string] $File) { [Onnx.ModelProto]::Parser.ParseFrom([IO.File]::ReadAllBytes($File)) }
}

Describe 'Export-CnnModel' {
    It 'exports a piped training result as ONNX and says what it wrote' {
        $file = Join-Path $TestDrive 'piped.onnx'
        $export = $run | Export-CnnModel -Path $file -Format Onnx
        $export | Should -BeOfType MnistCnn.Core.Export.OnnxExport
        $export.Path | Should -Be $file
        $export.Model | Should -Be 'keras-seed'
        $export.OpsetVersion | Should -Be 17
        $export.InputShape | Should -Be 'N x 1 x 28 x 28'
        $export.OutputNames | Should -Be @('logits', 'probabilities')
        $export.Bytes | Should -Be (Get-Item $file).Length
        $onnx = Read-Onnx $file
        $onnx.Graph.Input[0].Name | Should -Be 'input'
        @($onnx.Graph.Output.Name) | Should -Be @('logits', 'probabilities')
        @($onnx.Graph.Node.OpType) | Should -Be @('Conv', 'MaxPool', 'Relu', 'Conv', 'MaxPool', 'Relu', 'Conv', 'Relu', 'Flatten', 'Gemm', 'Relu', 'Gemm', 'Identity', 'Softmax')
        # 93,322 parameters, 4 bytes each, in the initializers.
        ($onnx.Graph.Initializer | ForEach-Object { $_.RawData.Length } | Measure-Object -Sum).Sum | Should -Be (93322 * 4)
    }

    It 'exports a model folder (-ModelPath) or a run folder, into an existing folder as the model''s name .onnx' {
        $out = New-Item -ItemType Directory (Join-Path $TestDrive 'out')
        $export = Export-CnnModel -ModelPath (Join-Path $TestDrive 'run') -Path $out
        $export.Path | Should -Be (Join-Path $out 'keras-seed.onnx')
        [IO.File]::ReadAllBytes($export.Path) | Should -Be ([IO.File]::ReadAllBytes((Join-Path $TestDrive 'run/model/model.onnx')))
        Import-CnnModel (Join-Path $TestDrive 'run') | Export-CnnModel -Path (Join-Path $TestDrive 'imported.onnx') | Should -Not -BeNullOrEmpty
    }

    It 'writes nothing with -WhatIf' {
        $file = Join-Path $TestDrive 'whatif.onnx'
        $run | Export-CnnModel -Path $file -WhatIf
        $file | Should -Not -Exist
    }

    It 'keeps an existing file without -Force (ExportFileExists) and replaces it with -Force' {
        $file = Join-Path $TestDrive 'exists.onnx'
        Set-Content $file 'keep me'
        $run | Export-CnnModel -Path $file -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be "ExportFileExists,$cmdlet"
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        Get-Content $file | Should -Be 'keep me'
        $run | Export-CnnModel -Path $file -Force | Should -Not -BeNullOrEmpty
        (Read-Onnx $file).Graph.Node.Count | Should -BeGreaterThan 0
    }

    It 'says when no model is given (ModelRequired) or the model folder is missing (ModelNotFound)' {
        { Export-CnnModel -Path (Join-Path $TestDrive 'none.onnx') -ErrorAction Stop } |
            Should -Throw -ErrorId "ModelRequired,$cmdlet"
        Export-CnnModel -ModelPath (Join-Path $TestDrive 'no-such-model') -Path (Join-Path $TestDrive 'x.onnx') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be "ModelNotFound,$cmdlet"
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Join-Path $TestDrive 'x.onnx' | Should -Not -Exist
    }

    It 'refuses a format it does not know' {
        { $run | Export-CnnModel -Path (Join-Path $TestDrive 'y.onnx') -Format TorchScript } |
            Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,MnistCnn.Cmdlets.ExportCnnModelCommand'
    }

    It 'shows an export as Model, Opset, Input, Outputs, KiB, Path' {
        $export = $run | Export-CnnModel -Path (Join-Path $TestDrive 'view.onnx')
        $text = ($export | Format-Table | Out-String -Width 250) -replace '\x1b\[[0-9;]*m', ''
        $text | Should -Match 'Model\s+Opset\s+Input\s+Outputs\s+KiB\s+Path'
        $text | Should -Match 'keras-seed\s+17\s+input \(N x 1 x 28 x 28\)\s+logits, probabilities\s+\d+\s+\S+view\.onnx'
    }
}
