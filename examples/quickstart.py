"""NeuralForecast's quick-start (AirPassengers with LSTM and NHITS: fit, predict,
cross_validation, save/load), unchanged except for the three imports marked below.

Run: python3 examples/quickstart.py     (after `pip install .`)
"""
import numpy as np
import pandas as pd

from neurodivergent import NeuralForecast  # was: from neuralforecast import NeuralForecast
from neurodivergent.models import LSTM, NHITS  # was: from neuralforecast.models import LSTM, NHITS
from neurodivergent.utils import AirPassengersDF  # was: from neuralforecast.utils import AirPassengersDF

Y_df = AirPassengersDF
Y_train_df = Y_df[Y_df.ds <= "1959-12-31"]  # 132 train
Y_test_df = Y_df[Y_df.ds > "1959-12-31"]  # 12 test

horizon = 12
# Try different hyperparmeters to improve accuracy.
models = [LSTM(input_size=2 * horizon,
               h=horizon,                     # Forecast horizon
               max_steps=500,                 # Number of steps to train
               scaler_type="standard",        # Type of scaler to normalize data
               encoder_hidden_size=64,        # Defines the size of the hidden state of the LSTM
               decoder_hidden_size=64,),      # Defines the number of hidden units of each layer of the MLP decoder
          NHITS(h=horizon,                    # Forecast horizon
                input_size=2 * horizon,       # Length of input sequence
                max_steps=100,                # Number of steps to train
                n_freq_downsample=[2, 1, 1])  # Downsampling factors for each stack output
          ]
nf = NeuralForecast(models=models, freq="ME")
nf.fit(df=Y_train_df)
Y_hat_df = nf.predict()
print(Y_hat_df.head())

Y_hat_df = Y_test_df.merge(Y_hat_df, how="left", on=["unique_id", "ds"])
for model in ["LSTM", "NHITS"]:
    print(f"{model} MAE on 1960: {np.mean(np.abs(Y_hat_df['y'] - Y_hat_df[model])):.2f}")

cv_df = nf.cross_validation(df=Y_df, n_windows=2, step_size=horizon)
print(cv_df.head())
print("cross-validation MAE:", {m: round(float(np.mean(np.abs(cv_df["y"] - cv_df[m]))), 2) for m in ["LSTM", "NHITS"]})

nf.save(path="./checkpoints/test_run/", model_index=None, overwrite=True, save_dataset=True)
nf2 = NeuralForecast.load(path="./checkpoints/test_run/")
Y_hat_df2 = nf2.predict()
print(Y_hat_df2.head())
print("identical after load:", np.array_equal(Y_hat_df2[["LSTM", "NHITS"]].to_numpy(),
                                              nf.predict()[["LSTM", "NHITS"]].to_numpy()))
