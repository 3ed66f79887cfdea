# nd fit -> saved directory -> nd predict: exit 0, a forecast CSV with the expected header and rows.
file(REMOVE_RECURSE ${TMP}/roundtrip)
execute_process(COMMAND ${ND} fit --data ${DATA}/air_passengers.csv --model NLinear --h 6 --input-size 12
                --max-steps 20 --out ${TMP}/roundtrip -q RESULT_VARIABLE code ERROR_VARIABLE err)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "nd fit failed (${code}): ${err}")
endif()
execute_process(COMMAND ${ND} predict --model ${TMP}/roundtrip --out ${TMP}/roundtrip.csv RESULT_VARIABLE code
                ERROR_VARIABLE err)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "nd predict failed (${code}): ${err}")
endif()
file(STRINGS ${TMP}/roundtrip.csv lines)
list(LENGTH lines n)
list(GET lines 0 header)
list(GET lines 1 first)
if(NOT header STREQUAL "unique_id,ds,NLinear" OR NOT n EQUAL 7 OR NOT first MATCHES "^AirPassengers,1961-01-01,")
  message(FATAL_ERROR "unexpected forecast file (${n} lines): ${header} / ${first}")
endif()

# A distribution loss: the sample mean, then the intervals asked for at predict time.
file(REMOVE_RECURSE ${TMP}/normal)
execute_process(COMMAND ${ND} fit --data ${DATA}/air_passengers.csv --model NLinear --h 6 --input-size 12
                --max-steps 20 --loss "{\"name\":\"DistributionLoss\",\"distribution\":\"Normal\",\"num_samples\":50}"
                --out ${TMP}/normal -q RESULT_VARIABLE code ERROR_VARIABLE err)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "nd fit with DistributionLoss failed (${code}): ${err}")
endif()
execute_process(COMMAND ${ND} predict --model ${TMP}/normal --level 95,50 --out ${TMP}/normal.csv RESULT_VARIABLE code
                ERROR_VARIABLE err)
file(STRINGS ${TMP}/normal.csv lines)
list(GET lines 0 header)
if(NOT code EQUAL 0 OR NOT header STREQUAL "unique_id,ds,NLinear,NLinear-lo-95,NLinear-lo-50,NLinear-hi-50,NLinear-hi-95")
  message(FATAL_ERROR "nd predict --level: ${code} ${err} / ${header}")
endif()
execute_process(COMMAND ${ND} predict --model ${TMP}/roundtrip --level 80 RESULT_VARIABLE code ERROR_VARIABLE err
                OUTPUT_QUIET)
if(NOT code EQUAL 2 OR NOT err MATCHES "trained NLinear with loss=MAE")
  message(FATAL_ERROR "nd predict --level of a point model: ${code} ${err}")
endif()

# Conformal intervals for a point model: nd fit --conformal-windows, then nd predict --level.
file(REMOVE_RECURSE ${TMP}/conformal)
execute_process(COMMAND ${ND} fit --data ${DATA}/air_passengers.csv --model NLinear --h 6 --input-size 12
                --max-steps 20 --conformal-windows 3 --conformal-method conformal_error --out ${TMP}/conformal -q
                RESULT_VARIABLE code ERROR_VARIABLE err)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "nd fit --conformal-windows failed (${code}): ${err}")
endif()
execute_process(COMMAND ${ND} predict --model ${TMP}/conformal --level 80,90 RESULT_VARIABLE code
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX MATCH "^[^\n]*" header "${out}")
if(NOT code EQUAL 0 OR NOT header STREQUAL "unique_id,ds,NLinear,NLinear-lo-90,NLinear-lo-80,NLinear-hi-80,NLinear-hi-90")
  message(FATAL_ERROR "nd predict --level after --conformal-windows: ${code} ${err} / ${header}")
endif()
execute_process(COMMAND ${ND} fit --data ${DATA}/air_passengers.csv --model NLinear --h 6 --input-size 12
                --conformal-windows 1 --out ${TMP}/conformal1 -q RESULT_VARIABLE code ERROR_VARIABLE err)
if(NOT code EQUAL 2 OR NOT err MATCHES "at least two windows")
  message(FATAL_ERROR "nd fit --conformal-windows 1: ${code} ${err}")
endif()

# nd simulate: sample paths from the conformal model, NeuralForecast's layout.
execute_process(COMMAND ${ND} simulate --model ${TMP}/conformal --n-paths 3 --method schaake_shuffle
                --out ${TMP}/paths.csv RESULT_VARIABLE code ERROR_VARIABLE err)
file(STRINGS ${TMP}/paths.csv lines)
list(LENGTH lines n)
list(GET lines 0 header)
if(NOT code EQUAL 0 OR NOT header STREQUAL "unique_id,ds,sample_id,NLinear" OR NOT n EQUAL 19)
  message(FATAL_ERROR "nd simulate: ${code} ${err} / ${header} / ${n} lines")
endif()
execute_process(COMMAND ${ND} simulate --model ${TMP}/roundtrip RESULT_VARIABLE code ERROR_VARIABLE err OUTPUT_QUIET)
if(NOT code EQUAL 2 OR NOT err MATCHES "Set `prediction_intervals` during fit")
  message(FATAL_ERROR "nd simulate of a point model without intervals: ${code} ${err}")
endif()
