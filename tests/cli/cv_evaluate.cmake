# nd cv -> CSV -> nd evaluate: per-series and overall rows, interval coverage from -lo/-hi columns.
execute_process(COMMAND ${ND} cv --data ${DATA}/air_passengers.csv --model MLP --h 6 --input-size 12 --n-windows 2
                --step-size 6 --max-steps 20 --hidden-size 16 --loss {"name":"MQLoss","level":[80]} --out ${TMP}/cv.csv -q
                RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL 0 OR NOT out MATCHES "MLP-median")
  message(FATAL_ERROR "nd cv failed (${code}): ${out}${err}")
endif()
execute_process(COMMAND ${ND} evaluate --data ${TMP}/cv.csv --metrics mae,mase,owa --train ${DATA}/air_passengers.csv
                RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "nd evaluate failed (${code}): ${err}")
endif()
foreach(want "unique_id,metric,MLP-median" "AirPassengers,mae," "AirPassengers,coverage_level80," "AirPassengers,mqloss," "all,mqloss," "all,mase," "AirPassengers,owa," "all,owa,")
  string(FIND "${out}" "${want}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "evaluate output lacks '${want}':\n${out}")
  endif()
endforeach()
