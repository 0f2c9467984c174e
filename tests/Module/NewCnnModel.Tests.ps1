BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
}

Describe 'New-CnnModel' {
    Context 'the default (tutorial) model' {
        BeforeAll { $model = New-CnnModel }

        It 'is a ModelDefinition named keras-seed for 28x28x1 images and 10 classes' {
            $model | Should -BeOfType MnistCnn.Core.Models.ModelDefinition
            $model.Name | Should -Be 'keras-seed'
            "$($model.InputShape)" | Should -Be '28x28x1'
            $model.Classes | Should -Be 10
        }

        It 'has the Keras tutorial''s 93,322 parameters' {
            $model.Parameters | Should -Be 93322
            $model.TrainableParameters | Should -Be 93322
        }

        It 'summarises layer <Index> as <Name> <Shape> with <Params> parameters' -ForEach @(
            @{ Index = 0; Name = 'conv2d'; Type = 'Conv2D'; Shape = '26x26x32'; Params = 320 }
            @{ Index = 1; Name = 'max_pooling2d'; Type = 'MaxPool2D'; Shape = '13x13x32'; Params = 0 }
            @{ Index = 2; Name = 'conv2d_1'; Type = 'Conv2D'; Shape = '11x11x64'; Params = 18496 }
            @{ Index = 3; Name = 'max_pooling2d_1'; Type = 'MaxPool2D'; Shape = '5x5x64'; Params = 0 }
            @{ Index = 4; Name = 'conv2d_2'; Type = 'Conv2D'; Shape = '3x3x64'; Params = 36928 }
            @{ Index = 5; Name = 'flatten'; Type = 'Flatten'; Shape = '576'; Params = 0 }
            @{ Index = 6; Name = 'dense'; Type = 'Dense'; Shape = '64'; Params = 36928 }
            @{ Index = 7; Name = 'dense_1'; Type = 'Dense'; Shape = '10'; Params = 650 }
        ) {
            $model.Layers.Count | Should -Be 8
            $row = $model.Layers[$Index]
            $row.Name | Should -Be $Name
            $row.Type | Should -Be $Type
            "$($row.OutputShape)" | Should -Be $Shape
            $row.Parameters | Should -Be $Params
        }

        It 'prints the Keras-style summary' {
            $text = $model | Format-Custom | Out-String
            $text | Should -Match 'Model: "keras-seed"'
            $text | Should -Match 'conv2d \(Conv2D\)\s+26x26x32\s+320'
            $text | Should -Match 'Total params: 93,322'
        }
    }

    It 'takes input shape and class count from -InputShape and -Classes' {
        $model = New-CnnModel -InputShape 32, 32, 3 -Classes 100
        "$($model.InputShape)" | Should -Be '32x32x3'
        $model.Layers[0].Parameters | Should -Be (3 * 3 * 3 * 32 + 32)
        $model.Layers[-1].Parameters | Should -Be (64 * 100 + 100)
        "$($model.Layers[-1].OutputShape)" | Should -Be '100'
    }

    It 'builds a custom layer list' {
        $layers = [MnistCnn.Core.Models.Conv2DSpec]::new(16), [MnistCnn.Core.Models.MaxPool2DSpec]::new(),
            [MnistCnn.Core.Models.FlattenSpec]::new(), [MnistCnn.Core.Models.DenseSpec]::new(10, 'Softmax')
        $model = New-CnnModel -Layers $layers -Name small
        $model.Name | Should -Be 'small'
        $model.Parameters | Should -Be (16 * 9 + 16 + 13 * 13 * 16 * 10 + 10)
    }

    It 'binds a dataset from the pipeline and carries it along' {
        $data = New-SyntheticDataset -TrainCount 20 -TestCount 10 -Size 20
        $model = $data | New-CnnModel
        "$($model.InputShape)" | Should -Be '20x20x1'
        [object]::ReferenceEquals($model.Dataset, $data) | Should -BeTrue
    }

    It 'makes one model per piped dataset' {
        $models = @((New-SyntheticDataset -TrainCount 10 -TestCount 10), (New-SyntheticDataset -TrainCount 10 -TestCount 10 -Size 20)) | New-CnnModel
        $models.Count | Should -Be 2
        "$($models[1].InputShape)" | Should -Be '20x20x1'
    }

    It 'fails with UnknownModelPreset for an unknown -Preset' {
        $err = { New-CnnModel -Preset no-such-preset } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly 'UnknownModelPreset,MnistCnn.Cmdlets.NewCnnModelCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.ToString() | Should -Match 'no-such-preset'
    }

    It 'fails with ModelShapeInvalid when the layers do not fit the input' {
        $layers = [MnistCnn.Core.Models.DenseSpec]::new(10, 'Softmax'), [MnistCnn.Core.Models.FlattenSpec]::new()
        $err = { New-CnnModel -Layers $layers } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly 'ModelShapeInvalid,MnistCnn.Cmdlets.NewCnnModelCommand'
    }

    It 'fails when the input is too small for the preset''s layers' {
        $err = { New-CnnModel -InputShape 8, 8, 1 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly 'ModelShapeInvalid,MnistCnn.Cmdlets.NewCnnModelCommand'
    }

    It 'rejects an -InputShape that is not height, width, channels' {
        { New-CnnModel -InputShape 28, 28 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MnistCnn.Cmdlets.NewCnnModelCommand'
    }

    It 'completes preset names' {
        $completion = TabExpansion2 -inputScript 'New-CnnModel -Preset ker' -cursorColumn 'New-CnnModel -Preset ker'.Length
        $completion.CompletionMatches.CompletionText | Should -Contain 'keras-seed'
    }
}

Describe 'New-CnnLayer builds layers through the one layer factory' {
    It 'gives each kind the defaults the spec reader and model JSON give it' {
        New-CnnLayer Conv2D -Filters 8 | Should -Be ([MnistCnn.Core.Models.Conv2DSpec]::new(8, 3, 3, 1, 1, 'Valid', 'Relu'))
        New-CnnLayer MaxPool2D | Should -Be ([MnistCnn.Core.Models.MaxPool2DSpec]::new(2, 2, $null, $null, 'Valid'))
        New-CnnLayer AvgPool2D -KernelSize 3, 2 -Stride 1 | Should -Be ([MnistCnn.Core.Models.AvgPool2DSpec]::new(3, 2, 1, 1, 'Valid'))
        New-CnnLayer Dense -Units 10 -Activation softmax | Should -Be ([MnistCnn.Core.Models.DenseSpec]::new(10, 'Softmax'))
        New-CnnLayer Dropout | Should -Be ([MnistCnn.Core.Models.DropoutSpec]::new(0.5))
        New-CnnLayer BatchNorm | Should -Be ([MnistCnn.Core.Models.BatchNormSpec]::new(0.99, 0.001))
        (New-CnnLayer Flatten).Kind | Should -Be 'flatten'
    }

    It 'has a -Type value for every kind the factory declares' {
        $kinds = [MnistCnn.Core.Models.LayerFactory]::Kinds | ForEach-Object CmdletName
        [Enum]::GetNames([MnistCnn.Cmdlets.LayerKind]) | Should -Be $kinds
    }
}
